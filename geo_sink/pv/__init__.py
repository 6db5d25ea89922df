"""PV on coal-mining subsidence land: subsidence, eligibility, parcels, yield, CO2."""
