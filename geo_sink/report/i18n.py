"""Report labels in Chinese (default) and English."""

LABELS = {
    "zh": {
        "title": "碳汇与目标评估报告", "coverage": "森林覆盖率（地图推算）", "target": "目标",
        "gap": "差距（百分点）", "stock": "碳储量", "sink": "年碳汇", "interval": "5–95% 区间",
        "counties": "县（区）", "landcover": "土地覆被", "wetlands": "湿地", "mines": "矿区",
        "reclaimed": "复垦地（植被覆盖度）", "reclaimed_sink": "复垦地碳汇", "reclamation_rate": "矿区土地复垦率（逐年）", "dashboard": "目标一览", "status": "状态", "met": "已达到",
        "not_met": "未达到", "not_measured": "未测算", "context_only": "仅供参考", "not_computed": "未计算（缺少输入）", "region": "地区", "indicator": "指标",
        "target_year": "目标年", "measured": "测算值", "target_gap": "差距", "applied_from": "借用自", "not_measurable": "无法用此图测算", "document": "出处", "provenance": "数据来源与版本",
        "synthetic": "注意：本报告含合成演示数据（SYNTHETIC DEMO DATA），不是观测结果。",
        "charts": "图表", "fvc": "植被覆盖度", "pv": "光伏装机", "none": "—", "legend": "图例",
        "coverage_note": "地图推算的森林覆盖率与官方森林覆盖率（郁闭度≥0.2、特灌林）口径不同。",
        "simplified": "边界为显示而简化，容差", "subsidence": "采煤沉陷区",
        "summary": "结论摘要", "run_warnings": "本次运行的警告", "run_warnings_note": "这些输入未被使用、被跳过或被隔离，原因如上（与命令行的警告相同，运行账本亦有记录）；上面的数字不含它们。", "not_for_change": "产品方说明其地图不能用于逐年的分类后变化分析：图中变化含分类误差", "not_for_change_no_sink": "{name} 的产品方说明其逐年地图不能用于分类后变化分析，故不计算土地覆被变化碳汇（见图例说明的来源）", "versions_change": "同一产品的两个算法版本（{v}）：变化含算法差异", "versions_no_sink": "两期地图为同一产品的不同算法版本（{v}），其差异含算法变化，故不计算土地覆被变化碳汇（见图例说明的来源）", "interval_scope": "5–95% 区间来自系数（IPCC Tier 1 碳密度、碳积累速率、光伏参数等）的蒙特卡洛抽样，不含图件本身的误差（土地覆被分类、影像植被覆盖度、InSAR 形变）。", "totals": "全市合计", "stock_total": "碳储量", "sink_total": "土地覆被变化年碳汇",
        "wetland_net": "湿地净通量（扣除CH4）", "reclaimed_total": "复垦地年碳汇", "pv_total": "沉陷区光伏",
        "needed": "尚需新增装机", "pv_closes": "沉陷区光伏可弥补",
        "county_labels": "县（区）名称", "pool_above": "地上生物量", "pool_below": "地下生物量", "pool_soil": "土壤有机碳",
        "pool_dead": "枯落物与枯死木",
        "county_table": "各县（区）结果", "sort_note": "点击表头排序；括号内为5–95%区间；“—”表示该县无值（见表格说明）。",
        "area_km2": "面积 (km²)", "forest_km2": "森林 (km²)", "stock_mt": "碳储量 (Mt CO2e)", "sink_t": "年碳汇 (t CO2e/yr)",
        "climate_zone": "IPCC气候区", "downloads": "下载数据表（已嵌入本文件）", "not_embedded": "过大，未嵌入，见结果文件夹",
        "median": "中位数", "rate_vs_bar": "复垦率，对照60%", "zoom_to": "定位到县（区）…", "reset_view": "复位视图",
        "opacity": "不透明度", "other_lang": "English version",
        "relief": "地形晕渲", "base_lines": "市界、河流与道路", "rivers": "河流", "roads": "道路", "city_outline": "市界",
        "change": "土地覆被变化", "changed_to": "变为", "swipe": "卷帘对比", "markers": "小图斑位置（放大后显示形状）",
        "print_params_note": "各县气候区依据、碳密度参数、光伏/发电量/沉陷参数表及输入文件清单（含SHA-256）见本报告的HTML文件。",
        "role_landcover": "土地覆被", "role_pv": "光伏选址", "role_mines": "矿区", "role_scene": "遥感影像",
        "role_project": "项目文件", "role_wetlands": "湿地", "role_growing_stock": "森林蓄积", "role_subsidence": "开采沉陷",
        "model_inputs": "模型输入与参数", "mc_draws": "蒙特卡洛抽样次数", "mc_seed": "随机种子（碳、湿地、复垦）", "pv_seed": "光伏随机种子",
        "climate_zones": "各县（区）IPCC气候区及其依据", "station": "参考气象站", "distance_km": "距离 (km)",
        "mean_elevation_m": "县平均海拔 (m)", "mat_c": "年均温 (°C)", "map_mm": "年降水 (mm)", "pet_mm": "潜在蒸散 (mm)",
        "carbon_parameters": "碳密度参数（IPCC Tier 1）", "parameter": "参数", "value": "取值", "unit": "单位",
        "sd": "标准差", "source": "来源", "param_status": "核对状态", "pv_parameters": "光伏选址参数",
        "energy_parameters": "光伏发电量参数", "subsidence_parameters": "开采沉陷（概率积分法）参数",
        "grid_factors": "电网排放因子", "grid_factor": "采用", "alt_grid_factor": "对照", "role": "用途",
        "year": "年份", "t_co2_mwh": "t CO2/MWh", "input_files": "输入文件", "file": "文件", "size": "大小",
        "sha256": "SHA-256",
    },
    "en": {
        "title": "Carbon sinks and targets report", "coverage": "Forest coverage (map-derived)", "target": "Target",
        "gap": "Gap (pp)", "stock": "Carbon stock", "sink": "Annual sink", "interval": "5–95% interval",
        "counties": "Counties", "landcover": "Land cover", "wetlands": "Wetlands", "mines": "Mine sites",
        "reclaimed": "Reclaimed land (FVC)", "reclaimed_sink": "reclaimed-land sink", "reclamation_rate": "mine land reclamation rate by year", "dashboard": "Targets", "status": "Status", "met": "met",
        "not_met": "not met", "not_measured": "not measured", "context_only": "context only", "not_computed": "not computed (input missing)", "region": "Region",
        "indicator": "Indicator", "target_year": "Target year", "measured": "Measured", "target_gap": "Gap",
        "applied_from": "applied from", "not_measurable": "not measurable with this map", "document": "Source", "provenance": "Provenance",
        "synthetic": "Warning: this report uses SYNTHETIC DEMO DATA, not observations.",
        "charts": "Charts", "fvc": "Vegetation cover (FVC)", "pv": "PV capacity", "none": "—", "legend": "Legend",
        "coverage_note": "Map-derived forest coverage differs from the official definition (canopy ≥ 0.2, special shrubland).",
        "simplified": "Boundaries simplified for display, tolerance", "subsidence": "Mining subsidence",
        "summary": "Summary", "run_warnings": "Warnings of this run", "run_warnings_note": "These inputs were not used, were skipped or were quarantined, for the reasons given (the command line's warnings, also in the run ledger); the figures above do not include them.", "not_for_change": "the producer says these maps are not for post-classification change between years: the change shown includes label errors", "not_for_change_no_sink": "the producer of {name} says its maps are not for post-classification change between years, so no land-cover-change sink is given (the legend's change_note has the source)", "versions_change": "two algorithm versions of one product ({v}): the change includes the algorithm's", "versions_no_sink": "the maps are two algorithm versions of one product ({v}): their difference includes the algorithm's change, so no land-cover-change sink is given (the legend's versions_note has the source)", "interval_scope": "5–95% intervals come from Monte Carlo draws of the coefficients (IPCC Tier 1 densities, accumulation rates, PV parameters, ...); the errors of the maps themselves (land-cover classification, scene FVC, InSAR deformation) are not in them.", "totals": "Region totals", "stock_total": "Carbon stock", "sink_total": "Land-cover-change sink",
        "wetland_net": "Wetland net flux (after CH4)", "reclaimed_total": "Reclaimed-land sink", "pv_total": "PV on subsidence land",
        "needed": "still to build", "pv_closes": "PV on subsidence land would close",
        "county_labels": "County names", "pool_above": "above-ground biomass", "pool_below": "below-ground biomass",
        "pool_soil": "soil organic carbon", "pool_dead": "litter and dead wood",
        "county_table": "Every county", "sort_note": "Click a header to sort; 5–95% intervals in brackets; '—': no value for the county (see the tables' notes).",
        "area_km2": "Area (km²)", "forest_km2": "Forest (km²)", "stock_mt": "Carbon stock (Mt CO2e)", "sink_t": "Sink (t CO2e/yr)",
        "climate_zone": "IPCC climate zone", "downloads": "Download the tables (embedded in this file)",
        "not_embedded": "too large, not embedded: see the results folder",
        "median": "median", "rate_vs_bar": "reclamation rate vs 60%", "zoom_to": "Zoom to a county…",
        "reset_view": "Reset view", "opacity": "Opacity", "other_lang": "中文版",
        "relief": "Relief (hillshade)", "base_lines": "City outline, rivers and roads", "rivers": "Rivers", "roads": "Roads",
        "city_outline": "City outline", "change": "Land-cover change", "changed_to": "changed to", "swipe": "Swipe",
        "markers": "Small features (shapes when zoomed in)",
        "print_params_note": "The climate-zone basis of each county, the carbon, PV, yield and subsidence parameter tables and the input files with their SHA-256 are in the HTML file.",
        "model_inputs": "Model inputs and parameters", "mc_draws": "Monte Carlo draws", "mc_seed": "seed (carbon, wetlands, reclamation)", "pv_seed": "PV seed",
        "climate_zones": "IPCC climate zone of each county and its basis", "station": "Reference station",
        "distance_km": "Distance (km)", "mean_elevation_m": "County mean elevation (m)", "mat_c": "MAT (°C)",
        "map_mm": "MAP (mm)", "pet_mm": "PET (mm)", "carbon_parameters": "Carbon density parameters (IPCC Tier 1)",
        "parameter": "Parameter", "value": "Value", "unit": "Unit", "sd": "SD", "source": "Source",
        "param_status": "Check status", "pv_parameters": "PV siting parameters", "energy_parameters": "PV yield parameters",
        "subsidence_parameters": "Mining subsidence (probability integral method) parameters",
        "grid_factors": "Grid emission factors", "grid_factor": "used", "alt_grid_factor": "alternative", "role": "Role",
        "year": "Year", "t_co2_mwh": "t CO2/MWh", "input_files": "Input files", "file": "File", "size": "Size",
        "sha256": "SHA-256",
    },
}


def labels(lang: str) -> dict:
    if lang not in LABELS:
        raise ValueError(f"unknown report language {lang!r}; expected {sorted(LABELS)}")
    return LABELS[lang]


#: Notes the result tables carry in English, and their Chinese: (pattern, replacement).
NOTE_PATTERNS_ZH = (
    (r"^sum of the counties with a value; leaves out (.+)$", r"有值县（区）之和，未含：\1"),
    (r"^IPCC 2006 Annex 3A\.5 rule on station (.+?) \((\d+) km\), MAT moved to the county's mean elevation at "
     r"([0-9.]+) degC/100 m$", r"按IPCC 2006 附录3A.5 规则判定；参考站 \1（\2 km），年均温按 \3 °C/100 m 订正到县平均海拔"),
    (r"^set by the project file \(climate_zone\)$", "由项目文件指定（climate_zone）"),
    (r"^no station within ([0-9.]+) km: climate zone not determined$", r"\1 km 内无参考站，未判定气候区"),
    (r"^≥ ([0-9.]+) mm cumulative$", r"≥ \1 mm（累计下沉）"),
    (r"^≥ ([0-9.]+) mm/yr$", r"≥ \1 mm/年（下沉速率）"),
)


def note_text(text: str, lang: str) -> str:
    """A note from a result table in the report's language: the Chinese of a known English
    phrase (:data:`NOTE_PATTERNS_ZH`), else the note as the table has it."""
    import re

    if lang != "zh" or not isinstance(text, str):
        return text
    for pat, rep in NOTE_PATTERNS_ZH:
        if re.match(pat, text):
            return re.sub(pat, rep, text)
    return text
