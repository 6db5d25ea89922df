"""Report labels in Chinese (default) and English."""

LABELS = {
    "zh": {
        "title": "碳汇与目标评估报告", "coverage": "森林覆盖率（地图推算）", "target": "目标",
        "gap": "差距（百分点）", "stock": "碳储量", "sink": "年碳汇", "interval": "5–95% 区间",
        "counties": "县（区）", "landcover": "土地覆被", "wetlands": "湿地", "mines": "矿区",
        "reclaimed": "复垦地（植被覆盖度）", "reclaimed_sink": "复垦地碳汇", "reclamation_rate": "矿区土地复垦率（逐年）", "dashboard": "目标一览", "status": "状态", "met": "已达到",
        "not_met": "未达到", "not_measured": "未测算", "not_computed": "未计算（缺少输入）", "region": "地区", "indicator": "指标",
        "target_year": "目标年", "measured": "测算值", "target_gap": "差距", "applied_from": "借用自", "not_measurable": "无法用此图测算", "document": "出处", "provenance": "数据来源与版本",
        "synthetic": "注意：本报告含合成演示数据（SYNTHETIC DEMO DATA），不是观测结果。",
        "charts": "图表", "fvc": "植被覆盖度", "pv": "光伏装机", "none": "—", "legend": "图例",
        "coverage_note": "地图推算的森林覆盖率与官方森林覆盖率（郁闭度≥0.2、特灌林）口径不同。",
        "simplified": "边界为显示而简化，容差", "subsidence": "采煤沉陷区",
        "summary": "结论摘要", "totals": "全市合计", "stock_total": "碳储量", "sink_total": "土地覆被变化年碳汇",
        "wetland_net": "湿地净通量（扣除CH4）", "reclaimed_total": "复垦地年碳汇", "pv_total": "沉陷区光伏",
        "needed": "尚需新增装机", "pv_closes": "沉陷区光伏可弥补",
        "county_labels": "县（区）名称", "pool_above": "地上生物量", "pool_below": "地下生物量", "pool_soil": "土壤有机碳",
        "pool_dead": "枯落物与枯死木",
        "county_table": "各县（区）结果", "sort_note": "点击表头排序；括号内为5–95%区间；“—”表示该县无值（见表格说明）。",
        "area_km2": "面积 (km²)", "forest_km2": "森林 (km²)", "stock_mt": "碳储量 (Mt CO2e)", "sink_t": "年碳汇 (t CO2e/yr)",
        "climate_zone": "IPCC气候区", "downloads": "下载数据表（已嵌入本文件）", "not_embedded": "过大，未嵌入，见结果文件夹",
    },
    "en": {
        "title": "Carbon sinks and targets report", "coverage": "Forest coverage (map-derived)", "target": "Target",
        "gap": "Gap (pp)", "stock": "Carbon stock", "sink": "Annual sink", "interval": "5–95% interval",
        "counties": "Counties", "landcover": "Land cover", "wetlands": "Wetlands", "mines": "Mine sites",
        "reclaimed": "Reclaimed land (FVC)", "reclaimed_sink": "reclaimed-land sink", "reclamation_rate": "mine land reclamation rate by year", "dashboard": "Targets", "status": "Status", "met": "met",
        "not_met": "not met", "not_measured": "not measured", "not_computed": "not computed (input missing)", "region": "Region",
        "indicator": "Indicator", "target_year": "Target year", "measured": "Measured", "target_gap": "Gap",
        "applied_from": "applied from", "not_measurable": "not measurable with this map", "document": "Source", "provenance": "Provenance",
        "synthetic": "Warning: this report uses SYNTHETIC DEMO DATA, not observations.",
        "charts": "Charts", "fvc": "Vegetation cover (FVC)", "pv": "PV capacity", "none": "—", "legend": "Legend",
        "coverage_note": "Map-derived forest coverage differs from the official definition (canopy ≥ 0.2, special shrubland).",
        "simplified": "Boundaries simplified for display, tolerance", "subsidence": "Mining subsidence",
        "summary": "Summary", "totals": "Region totals", "stock_total": "Carbon stock", "sink_total": "Land-cover-change sink",
        "wetland_net": "Wetland net flux (after CH4)", "reclaimed_total": "Reclaimed-land sink", "pv_total": "PV on subsidence land",
        "needed": "still to build", "pv_closes": "PV on subsidence land would close",
        "county_labels": "County names", "pool_above": "above-ground biomass", "pool_below": "below-ground biomass",
        "pool_soil": "soil organic carbon", "pool_dead": "litter and dead wood",
        "county_table": "Every county", "sort_note": "Click a header to sort; 5–95% intervals in brackets; '—': no value for the county (see the tables' notes).",
        "area_km2": "Area (km²)", "forest_km2": "Forest (km²)", "stock_mt": "Carbon stock (Mt CO2e)", "sink_t": "Sink (t CO2e/yr)",
        "climate_zone": "IPCC climate zone", "downloads": "Download the tables (embedded in this file)",
        "not_embedded": "too large, not embedded: see the results folder",
    },
}


def labels(lang: str) -> dict:
    if lang not in LABELS:
        raise ValueError(f"unknown report language {lang!r}; expected {sorted(LABELS)}")
    return LABELS[lang]
