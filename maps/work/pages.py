"""The workspace pages: my work, an issue, a council hall, renovation on site, imports,
filing for a resident (intake), a leader's places and pairings, the renovation programme and
a contractor's reports, whistles and deployments, micro-wishes and unit pairings, property in the
open (a firm's compounds, the register)."""

from geo.core.settings import Settings
from maps.base import PageResult
from maps.work import WorkPage, render
from maps.work.leader_pages import LEADER, PAIRINGS
from maps.work.partner_pages import DEPLOYMENTS, WHISTLES
from maps.work.property_page import PROPERTY
from maps.work.wish_pages import UNIT_PAIRINGS, WISHES

FILTERS = """
<details class="w-filters" id="w-filters"><summary>筛选 <small>Filter</small></summary>
  <label>步骤 Step<select name="step"><option value="">全部</option></select></label>
  <label>类别 Category<select name="category"><option value="">全部</option></select></label>
  <label>小区 Compound<select name="compound"><option value="">全部</option></select></label>
</details>
"""

NOTICES = """
<details class="w-notices" id="w-notices">
  <summary>通知 <small>Notices</small> <span class="w-badge" id="w-unread" hidden
    aria-label="未读"></span></summary>
  <button type="button" class="w-quiet-button" id="w-read-all">全部已读 <small>All read</small>
  </button>
  <ol class="w-items" id="w-notice-list" aria-live="polite"></ol>
  <button type="button" class="w-quiet-button" id="w-notice-more" hidden>更多 <small>More</small>
  </button>
</details>
"""

MY_WORK = WorkPage(
    key="mywork",
    title="我的工作 My work",
    module="work/mywork.js",
    map=True,
    body=f"""
<p class="w-where" id="w-where" role="status">正在定位… <small>locating</small></p>
{NOTICES}
<div class="w-halls" id="w-halls"></div>
<div class="w-halls" id="w-tickets"></div>
<details class="w-shortlist" id="w-shortlist" open hidden><summary>今日清单 <small>My shortlist
  </small> <small class="w-round"></small></summary><ol class="w-items"></ol></details>
{FILTERS}
<div class="w-split">
  <div class="w-map" id="w-map" role="img" aria-label="待办问题地图"></div>
  <section class="w-list" aria-label="待办列表">
    <h1>待我处理 <small>Waiting for me</small> <span id="w-count"></span></h1>
    <ol class="w-items" id="w-items"><li class="w-empty">加载中… loading</li></ol>
  </section>
</div>
""",
)

ISSUE = WorkPage(
    key="issue",
    title="问题 Issue",
    module="work/issue.js",
    map=True,
    body="""
<article class="w-issue" id="w-issue" aria-busy="true">
  <h1 id="w-title">问题 <small>Issue</small></h1>
  <ol class="w-chain" id="w-chain" aria-label="五步议事"></ol>
  <div class="w-message" id="w-message" role="alert" hidden></div>
  <section class="w-actions" id="w-actions" aria-label="可以进行的操作"></section>
  <p class="w-desc" id="w-desc"></p>
  <div class="w-map w-map-small" id="w-map" role="img" aria-label="问题位置"></div>
  <dl class="w-routing" id="w-routing"></dl>
  <section><h2>照片 <small>Photos</small></h2><div class="w-photos" id="w-photos"></div></section>
  <section><h2>经过 <small>History</small></h2><ol class="w-history" id="w-history"></ol></section>
</article>
""",
)

HALL = WorkPage(
    key="hall",
    title="议事厅 Council hall",
    module="work/hall.js",
    body="""
<article class="w-hall" id="w-hall" aria-busy="true">
  <h1 id="w-title">议事厅 <small>Council hall</small></h1>
  <p id="w-week"></p>
  <div class="w-message" id="w-message" role="alert" hidden></div>
  <form id="w-session" class="w-form" novalidate>
    <fieldset><legend>本周会议 <small>This week's session</small></legend>
      <label>日期 Date<input type="date" name="held_on" required></label>
      <label>到会人数 Head count<input type="number" name="attendees" min="0" max="10000"
        inputmode="numeric"></label>
      <div class="w-bodies" id="w-bodies" role="group" aria-label="参会单位"></div>
      <label>成员单位 Member units <small>(如 派出所、学校, 用顿号或逗号分隔)</small>
        <input type="text" name="members" placeholder="新华街派出所、新华小学"></label>
      <label>备注 Note<textarea name="note" rows="2"></textarea></label>
    </fieldset>
    <h2>本周议程 <small>Agenda</small></h2>
    <ol class="w-agenda" id="w-agenda"></ol>
    <button type="submit" class="w-primary" id="w-record">记录本次议事 Record the session</button>
  </form>
  <section id="w-recorded" hidden><h2>已记录 <small>Recorded</small></h2><div></div></section>
</article>
""",
)

PROGRESS = WorkPage(
    key="progress",
    title="整治现场 Renovation on site",
    module="work/progress.js",
    body="""
<p class="w-where" id="w-where" role="status">正在定位… <small>locating</small></p>
<div class="w-message" id="w-message" role="alert" hidden></div>
<section><h1>附近的工程 <small>Work items near me</small></h1>
  <label class="w-inline">工程 Project<select id="w-project"><option value="">全部</option></select>
  </label>
  <ol class="w-items" id="w-items"><li class="w-empty">加载中… loading</li></ol></section>
<section id="w-review" hidden><h2>待审核的上报 <small>Reports to review</small></h2>
  <ol class="w-items" id="w-reviews"></ol></section>
""",
)

IMPORTS = WorkPage(
    key="imports",
    title="导入测绘数据 Import survey files",
    module="work/imports.js",
    body="""
<h1>导入测绘数据 <small>Import survey files</small></h1>
<p class="w-hint">先"试导入"看报告 (什么都不保存), 没有问题再正式导入。Shapefile 请打包成 .zip。
  <small>Check first (nothing is stored), then import.</small></p>
<div class="w-message" id="w-message" role="alert" hidden></div>
<div class="w-import-split">
<form id="w-import" class="w-form w-wide" novalidate>
  <label>文件 File <small>.zip (Shapefile) .gpkg .geojson .kml .csv .xlsx</small>
    <input type="file" name="file" required
      accept=".zip,.gpkg,.geojson,.json,.kml,.csv,.xlsx"></label>
  <label>图层 Layer<select name="layer" required></select></label>
  <details><summary>更多选项 <small>CRS, encoding, field map, source</small></summary>
    <label>坐标系 CRS <small>留空则读文件 (.prj); EPSG:4547, EPSG:4490, gcj02, bd09…</small>
      <input type="text" name="crs" list="w-crs" placeholder="EPSG:4547"></label>
    <datalist id="w-crs"><option value="EPSG:4326"><option value="EPSG:4490">
      <option value="EPSG:4547"><option value="EPSG:4526"><option value="EPSG:3857">
      <option value="gcj02"><option value="bd09"></datalist>
    <label>编码 Encoding<select name="encoding"><option value="">自动识别 detect</option>
      <option>UTF-8</option><option>GBK</option><option>GB18030</option></select></label>
    <label>字段对应 Field map <small>每行一个: 文件字段=列, 如 楼名=name</small>
      <textarea name="map" rows="3" placeholder="名称=name"></textarea></label>
    <label>数据来源 Source <small>默认为文件名; 复测时用同一来源</small>
      <input type="text" name="source" placeholder="测绘院2026"></label>
    <label>文件内图层 Layer in the file <small>GeoPackage / KML / XLSX 有多个时</small>
      <input type="text" name="file_layer"></label>
    <label class="w-inline"><input type="checkbox" name="remove_missing">
      删除本来源中文件里没有的要素 <small>remove missing</small></label>
  </details>
  <div class="w-buttons">
    <button type="button" class="w-primary" id="w-dry-run">试导入 (只检查) Dry run</button>
    <button type="button" class="w-primary w-danger" id="w-do-import" disabled>
      正式导入 Import</button>
  </div>
</form>
<section id="w-report" class="w-report" aria-live="polite" hidden></section>
</div>
<section><h2>导入记录 <small>Import log</small></h2>
  <ol class="w-items" id="w-log"><li class="w-empty">加载中… loading</li></ol></section>
""",
)

PROGRAMME = WorkPage(
    key="programme",
    title="整治计划 Renovation programme",
    module="work/programme.js",
    map=True,
    body="""
<h1>整治计划 <small>Renovation programme</small></h1>
<div class="w-message" id="w-message" role="alert" hidden></div>
<div class="w-split">
  <div class="w-map" id="w-map" role="application" aria-label="范围: 在地图上画, 或点选院落"></div>
  <section class="w-list">
    <label>项目 Project<select id="w-projects"><option value="">新建项目 New project</option>
      </select></label>
    <form id="w-project" class="w-form" novalidate>
      <label>编号 Code<input name="code" required maxlength="32" pattern="[A-Za-z0-9_\\-]+"></label>
      <label>名称 Name<input name="name" required maxlength="64"></label>
      <label>类型 Kind<select name="kind" required></select></label>
      <label>计量单位 Unit<select name="unit"><option value="count">处 count</option>
        <option value="m">米 m</option><option value="m2">平方米 m²</option>
        <option value="t">吨 t</option></select></label>
      <label>预算 (元) Budget<input name="budget" type="number" min="0" step="0.01"></label>
      <label>计划开始 Start<input name="planned_start" type="date" required></label>
      <label>计划完成 End<input name="planned_end" type="date" required></label>
      <label>责任部门 Department<select name="department_id"><option value="">无</option>
        </select></label>
      <label>说明 Description<textarea name="description" rows="2"></textarea></label>
      <fieldset><legend>范围 <small>Places</small></legend>
        <label class="w-inline"><input type="radio" name="mode" value="pick" checked>
          点选院落 <small>pick courtyards</small></label>
        <label class="w-inline"><input type="radio" name="mode" value="draw">
          在地图上画 <small>draw</small></label>
        <p class="w-hint" id="w-picked">已选 0 处院落</p>
        <button type="button" class="w-quiet-button" id="w-clear">清除 Clear</button>
      </fieldset>
      <div class="w-buttons">
        <button type="submit" class="w-primary" id="w-save">保存 Save</button>
        <button type="button" id="w-close" hidden>关闭项目 Close</button>
        <button type="button" id="w-reopen" hidden>重新打开 Reopen</button>
      </div>
    </form>
    <section id="w-batches" hidden><h2>批次 <small>Batches</small></h2>
      <ol class="w-items" id="w-batch-list"></ol>
      <form id="w-batch" class="w-form" novalidate>
        <label>批次名称 Name<input name="name" required maxlength="64"></label>
        <label>开始 Start<input name="planned_start" type="date" required></label>
        <label>完成 End<input name="planned_end" type="date" required></label>
        <button type="submit">新增批次 Add batch</button>
      </form>
      <h2>生成工程项 <small>Items from the selected courtyards</small></h2>
      <form id="w-items-form" class="w-form" novalidate>
        <label>批次 Batch<select name="batch"></select></label>
        <label>开始 Start<input name="planned_start" type="date" required></label>
        <label>完成 End<input name="planned_end" type="date" required></label>
        <label>施工单位 Contractor<select name="firm"><option value="">暂不指定</option>
          </select></label>
        <button type="submit" id="w-make-items">生成 Make items</button>
      </form>
      <p><a href="/work/programme/timeline" id="w-timeline">计划与实际 Planned vs actual</a></p>
      <h2>记录 <small>History</small></h2><ol class="w-history" id="w-history"></ol>
    </section>
  </section>
</div>
""",
)

# One item's record: plan against baseline, phases, the courtyard's assessments and the before
# and after pair (side by side, and one over the other with a slider); prints on A4.
PROGRAMME_ITEM = WorkPage(
    key="programme_item",
    title="整治档案 Renovation record",
    module="work/programme_item.js",
    body="""
<article class="w-record" id="w-record" aria-busy="true">
  <h1 id="w-title">整治档案 <small>Renovation record</small></h1>
  <div class="w-message" id="w-message" role="alert" hidden></div>
  <dl class="w-routing" id="w-facts"></dl>
  <section><h2>前后对比 <small>Before and after</small></h2>
    <div class="w-pair" id="w-pair"><p class="w-empty">尚无同一位置、同一朝向的两张已审核照片</p>
    </div>
    <div class="w-slider" id="w-slider" hidden>
      <img id="w-slider-after" alt="整治后"><div class="w-slider-top" id="w-slider-top">
        <img id="w-slider-before" alt="整治前"></div>
      <input type="range" min="0" max="100" value="50" id="w-slide" aria-label="前后对比滑块">
    </div></section>
  <section><h2>阶段 <small>Phases</small></h2><ol class="w-chain" id="w-phases"></ol>
    <ol class="w-history" id="w-phase-history"></ol></section>
  <section><h2>计划 <small>Schedule</small></h2><ol class="w-history" id="w-schedule"></ol>
  </section>
  <section id="w-assessments" hidden><h2>院落评估 <small>Assessments</small></h2>
    <ol class="w-history"></ol></section>
  <button type="button" class="w-primary w-noprint" id="w-print">打印 A4 Print</button>
</article>
""",
)

# Planned against actual per project and batch: a compact Gantt drawn as SVG by the module
# (baseline, current plan and actual per item; late items marked), and the same as CSV/XLSX.
TIMELINE = WorkPage(
    key="timeline",
    title="计划与实际 Planned vs actual",
    module="work/timeline.js",
    body="""
<h1>计划与实际 <small>Planned vs actual</small></h1>
<div class="w-message" id="w-message" role="alert" hidden></div>
<form id="w-pick" class="w-form w-inline-form">
  <label>项目 Project<select name="project" required></select></label>
  <label>批次 Batch<select name="batch"><option value="">全部 all</option></select></label>
  <p class="w-hint" id="w-sum" role="status"></p>
  <p class="w-hint"><a id="w-csv" href="#">CSV</a> · <a id="w-xlsx" href="#">XLSX</a></p>
</form>
<p class="w-legend"><i class="w-k-base"></i>基线 baseline <i class="w-k-plan"></i>当前计划 current
  <i class="w-k-act"></i>实际 actual <i class="w-k-late"></i>滞后 late
  <i class="w-k-today"></i>今日 today</p>
<div class="w-gantt" id="w-gantt"></div>
""",
)

# A contractor's phone: its firm's items and a report on each (share done, note, a photo with
# the way the camera looked); a staff reviewer sees the contractors' reports waiting for them.
CONTRACT = WorkPage(
    key="contract",
    title="施工上报 Contractor's reports",
    module="work/contract.js",
    body="""
<p class="w-where" id="w-where" role="status">正在定位… <small>locating</small></p>
<div class="w-message" id="w-message" role="alert" hidden></div>
<section id="w-mine"><h1>本单位的工程 <small>My firm's items</small></h1>
  <ol class="w-items" id="w-items"><li class="w-empty">加载中… loading</li></ol></section>
<section id="w-review" hidden><h2>待审核的施工上报 <small>Contractors' reports to review</small>
  </h2><ol class="w-items" id="w-reviews"></ol></section>
""",
)

INTAKE = WorkPage(
    key="intake",
    title="代为登记 File for a resident",
    module="work/intake.js",
    map=True,
    body="""
<h1>代为登记 <small>File for a resident who phoned or came in</small></h1>
<div class="w-message" id="w-message" role="alert" hidden></div>
<div class="w-import-split">
<form id="w-intake" class="w-form w-wide" novalidate hidden>
  <label>来源 Channel<select name="channel" required></select></label>
  <label>地址 Address <small>小区+楼号, 院落门牌或街巷; 也可在地图上点选</small>
    <span class="w-inline"><input type="text" name="address" maxlength="200"
      placeholder="秀水怡园3号楼" autocomplete="off">
    <button type="button" class="w-quiet-button" id="w-find">查找 Find</button></span></label>
  <p class="w-hint" id="w-found" role="status"></p>
  <div class="w-map w-map-small" id="w-map" role="img" aria-label="点选位置"></div>
  <label>类别 Category<select name="category" required></select></label>
  <label>情况 What happened
    <textarea name="description" rows="3" maxlength="2000" required></textarea></label>
  <label>来电人/来访人 Resident's name <small>(不公开 private)</small>
    <input type="text" name="reporter_name" maxlength="64" autocomplete="off"></label>
  <label>联系电话 Phone <small>(不公开 private)</small>
    <input type="text" name="reporter_phone" maxlength="32" inputmode="tel" autocomplete="off">
  </label>
  <button type="submit" class="w-primary" id="w-file">登记 File it</button>
</form>
<section id="w-filed" class="w-report" aria-live="polite" hidden></section>
</div>
<section id="w-hotline" hidden><h2>导入12345工单 <small>Import a 12345 export</small></h2>
  <p class="w-hint">CSV 或 XLSX, 列: 工单编号, 诉求地址, 诉求内容, 来电时间
    (可选: 来电人, 来电号码)。先试导入看报告; 已导入的工单号再次导入不会重复。</p>
  <form id="w-hotline-form" class="w-form w-wide" novalidate>
    <input type="file" name="file" accept=".csv,.xlsx" required>
    <div class="w-buttons">
      <button type="button" class="w-primary" id="w-hotline-dry">试导入 Dry run</button>
      <button type="button" class="w-primary w-danger" id="w-hotline-go" disabled>
        正式导入 Import</button>
    </div>
  </form>
  <section id="w-hotline-report" class="w-report" aria-live="polite" hidden></section>
</section>
""",
)

BULK = WorkPage(
    key="bulk",
    title="批量处理 Bulk actions",
    module="work/bulk.js",
    map=True,
    body="""
<h1>批量处理 <small>Bulk actions</small></h1>
<p class="w-hint">筛选、勾选或在地图上圈选待办, 选择操作, 一次处理;
  每件单独记录, 重复提交不会重复处理。
  <small>Filter, tick or lasso on the map; each matter is moved once, also when sent again.
  </small></p>
<div class="w-message" id="w-message" role="alert" hidden></div>
<div class="w-map w-bulk-map" id="w-map" role="img" aria-label="待办问题地图, 可圈选"></div>
<p class="w-buttons"><button type="button" class="w-act" id="w-lasso" aria-pressed="false">
  圈选 <small>Lasso</small></button> <span class="w-hint" id="w-lasso-note"></span></p>
<form id="w-bulk" class="w-form w-wide" novalidate>
  <label>步骤 Step<select name="step"><option value="">全部</option></select></label>
  <label>类别 Category<select name="category"><option value="">全部</option></select></label>
  <label class="w-inline"><input type="checkbox" id="w-all"> 全选 <small>select all shown</small>
    <span id="w-chosen">0</span></label>
  <div class="w-bulk-list" id="w-list" role="group" aria-label="待办"></div>
  <label>操作 Action<select name="to" required></select></label>
  <label data-for="dispatched">责任部门 Department<select name="owner_department_id"></select>
  </label>
  <label data-for="dispatched">办理期限 Due<input type="date" name="due_on"></label>
  <label data-for="closed">原因 Reason<select name="reason"></select></label>
  <label data-for="referred">转至 Referred to<input name="referred_to" maxlength="200"></label>
  <label data-for="assigned">承办人 Person<select name="account_id"></select></label>
  <label data-for="merged">保留 Kept (the others become its duplicates)<select name="into">
  </select></label>
  <label>说明 Note<textarea name="note" rows="2" maxlength="4000"></textarea></label>
  <button type="submit" class="w-primary" id="w-go">执行 Run</button>
</form>
<section id="w-job" hidden aria-live="polite"><h2>进度 <small>Progress</small></h2>
  <progress id="w-progress" value="0" max="1"></progress>
  <p id="w-tally"></p><ol class="w-items w-bulk-results" id="w-results"></ol></section>
""",
)

PAGES = {
    p.key: p
    for p in (
        MY_WORK, ISSUE, HALL, PROGRESS, IMPORTS, INTAKE, BULK,
        LEADER, PAIRINGS, PROGRAMME, PROGRAMME_ITEM, TIMELINE, CONTRACT,
        WHISTLES, DEPLOYMENTS, WISHES, UNIT_PAIRINGS, PROPERTY,
    )
}  # fmt: skip


def build_work_page(key: str, settings: Settings) -> PageResult:
    return render(PAGES[key], settings)
