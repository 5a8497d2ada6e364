/* Chinese names for what the API says in codes (display only: no rule lives here). */
export const STEP = {
  collected: "收集问题", topic: "确定议题", deliberated: "协商议事", dispatched: "分流落实",
  resolved: "已落实 待评审", reviewed: "监督评审", rejected: "不予受理", merged: "已合并",
  closed: "办结未解决", referred: "已转办",
};
export const FIVE = ["collected", "topic", "deliberated", "dispatched", "reviewed"];
export const ACTION = {
  topic: "列为议题", deliberated: "记录协商结果", dispatched: "分流派单", resolved: "现场办结",
  reviewed: "评审", rejected: "不予受理", closed: "办结 (未能解决)", referred: "转办",
  reroute: "改类别/改派", dispute: "退单", arbitrate: "仲裁", photo: "添加照片",
};
export const CLOSURE = {
  no_conditions: "暂不具备解决条件", against_rules: "诉求不符合政策法规", withdrawn: "居民撤回",
};
export const LEVEL = { compound: "小区", community: "社区", subdistrict: "街道", district: "区" };
export const EVENT = {
  created: "上报", transition: "流转", escalated: "逾期上移", support: "附议", merge: "合并",
  photo: "照片", rerouted: "改派", disputed: "退单", arbitrated: "街道仲裁", rated: "居民评价",
};
export const PHASE = {
  planned: "计划", design: "设计", pre_construction: "施工准备", construction: "施工中",
  post_construction: "收尾", complete: "完工", on_hold: "暂停", cancelled: "取消",
};
export const UNIT = { count: "个", m: "米", m2: "平方米", t: "吨" };
export const REVIEW = { reported: "待审核", approved: "已通过", rejected: "已退回" };
export const BODIES = [
  ["residents_committee", "居委会 Residents' committee"],
  ["owners_committee", "业委会 Owners' committee"],
  ["property_company", "物业公司 Property company"],
  ["party_branch", "小区党支部 Party branch"],
  ["building_leaders", "楼栋长 Building leaders"],
  ["unit_leaders", "单元长 Unit leaders"],
];
export const OUTCOME = {
  "": "本次不议", topic: "列为议题", deliberated: "协商议定", dispatched: "议定并分流",
  rejected: "不予受理",
};
