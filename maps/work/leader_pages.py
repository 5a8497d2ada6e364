"""The leaders' workspace pages: a paired leader's places on the phone (/work/leader) and the
administrators' pairings page (/work/admin/pairings)."""

from maps.work import WorkPage

LEADER = WorkPage(
    key="leader",
    title="包联工作台 My places",
    module="work/leader.js",
    body="""
<article class="w-leader" id="w-leader" aria-busy="true">
  <h1 id="w-title">包联工作台 <small>My places</small></h1>
  <p id="w-places" class="w-hint"></p>
  <div class="w-message" id="w-message" role="alert" hidden></div>
  <section><h2>我负责的议事厅 <small>Halls I am first responsible for</small></h2>
    <ol class="w-items" id="w-halls"></ol></section>
  <section><h2>待办事项 <small>Open matters</small> <span id="w-count"></span></h2>
    <ol class="w-items" id="w-matters"><li class="w-empty">加载中… loading</li></ol></section>
  <form id="w-visit" class="w-form" novalidate>
    <fieldset><legend>现场办公 <small>Record an on-site visit</small></legend>
      <label>事项 Matter<select name="issue_id"><option value="">无 (巡查) none</option></select>
      </label>
      <label>情况 Note<textarea name="note" rows="3" required
        placeholder="现场查看、协调解决情况"></textarea></label>
      <label class="w-file">现场照片 Photo<input type="file" name="file" accept="image/*"
        capture="environment"></label>
      <p class="w-hint" id="w-visit-where">位置: 提交时定位 <small>located when sent</small></p>
    </fieldset>
    <button type="submit" class="w-primary" id="w-visit-send">记录现场办公 Record the visit</button>
  </form>
  <section><h2>现场办公记录 <small>My visits</small></h2>
    <ol class="w-items" id="w-visits"></ol></section>
</article>
""",
)

PAIRINGS = WorkPage(
    key="pairings",
    title="领导包联 Pairings",
    module="work/pairings.js",
    body="""
<article class="w-pairings" id="w-pairings" aria-busy="true">
  <h1>领导包联 <small>Leaders paired with places</small></h1>
  <p class="w-hint">区委常委包联一个街道; 其他县处级领导各包联 2-3 个社区, 任其议事厅第一责任人。
    <small>Standing committee: one sub-district; other leaders: two to three communities.</small>
  </p>
  <div class="w-message" id="w-message" role="alert" hidden></div>
  <ol class="w-items" id="w-leaders"><li class="w-empty">加载中… loading</li></ol>
  <section><h2>尚未包联 <small>Places nobody holds</small></h2>
    <p id="w-unpaired"></p></section>
</article>
""",
)
