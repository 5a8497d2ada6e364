"""The partners' workspace pages. Whistle and report (街乡吹哨、部门报到) on a phone
(/work/whistles): a summoned department's or member unit's account sees its summonses and checks
in where it stands; with ?issue=N the matter's area staff summon parties to a place and record
the joint outcome. Deployments (/work/deployments): cadres sent down in an emergency, their
checkpoints on the map, and the next one organised like an earlier. What the pages offer comes
from the API's answers (access rows blow_whistle, report_whistle, manage_deployments)."""

from maps.work import WorkPage

WHISTLES = WorkPage(
    key="whistles",
    title="吹哨报到 Whistle and report",
    module="work/whistles.js",
    body="""
<article class="w-whistles" id="w-whistles" aria-busy="true">
  <h1>吹哨报到 <small>Whistle and report</small></h1>
  <div class="w-message" id="w-message" role="alert" hidden></div>
  <section id="w-matter" hidden>
    <h2 id="w-matter-title">吹哨 <small>Summon parties to this matter</small></h2>
    <p class="w-desc" id="w-matter-desc"></p>
    <form id="w-blow" class="w-form" novalidate>
      <label>报到地点 Place<input name="place" required maxlength="120"
        placeholder="如: 小区南门 e.g. the south gate"></label>
      <label>位置 Point<select name="where">
        <option value="matter">问题位置 the matter's point</option>
        <option value="here">我站的位置 where I stand</option></select></label>
      <label>报到时限 Report by<input type="datetime-local" name="report_by" required></label>
      <fieldset class="w-checks" id="w-depts"><legend>部门 Departments</legend></fieldset>
      <fieldset class="w-checks" id="w-units"><legend>驻区单位 Member units</legend></fieldset>
      <label>说明 Note<textarea name="note" rows="2" maxlength="2000"></textarea></label>
      <button type="submit" class="w-primary" id="w-blow-send">吹哨 Summon</button>
    </form>
    <h2>本事项的哨 <small>Summonses of this matter</small></h2>
    <ol class="w-items" id="w-blown"></ol>
  </section>
  <details id="w-place" class="w-form" hidden>
    <summary>在某处吹哨 <small>Summon to a place (opens a matter there)</small></summary>
    <form id="w-blow-place" class="w-form" novalidate>
      <label>类别 Category<select name="category" required></select></label>
      <label>事项 What<textarea name="description" rows="2" required maxlength="2000"></textarea>
      </label>
      <label>报到地点 Place<input name="place" required maxlength="120"></label>
      <p class="w-hint">位置: 我站的位置 <small>the point is where you stand</small></p>
      <label>报到时限 Report by<input type="datetime-local" name="report_by" required></label>
      <fieldset class="w-checks" id="w-place-depts"><legend>部门 Departments</legend></fieldset>
      <button type="submit" class="w-primary" id="w-place-send">吹哨 Summon</button>
    </form>
  </details>
  <section id="w-summons-part" hidden>
    <h2>召集我方 <small>My unit is summoned</small></h2>
    <ol class="w-items" id="w-summons"><li class="w-empty">加载中… loading</li></ol>
  </section>
</article>
""",
)

DEPLOYMENTS = WorkPage(
    key="deployments",
    title="干部下沉 Deployments",
    module="work/deployments.js",
    map=True,
    body="""
<article class="w-deployments" id="w-deployments" aria-busy="true">
  <h1>干部下沉 <small>Cadres sent down in an emergency</small></h1>
  <div class="w-message" id="w-message" role="alert" hidden></div>
  <ol class="w-items" id="w-list"><li class="w-empty">加载中… loading</li></ol>
  <section id="w-detail" hidden>
    <h2 id="w-dtitle"></h2>
    <p id="w-totals"></p>
    <div class="w-map" id="w-map" role="img" aria-label="卡口地图 checkpoints"></div>
    <h3>工作组 <small>Work groups</small></h3><ol class="w-items" id="w-groups"></ol>
    <h3>派出单位 <small>Sending units</small></h3><ol class="w-items" id="w-units"></ol>
    <form id="w-like" class="w-form" novalidate hidden>
      <fieldset><legend>照此组织新的下沉 <small>Organise a new one like this</small></legend>
        <label>代码 Code<input name="code" required pattern="[a-z0-9-]+" maxlength="48"
          placeholder="flood-2027"></label>
        <label>名称 Name<input name="name" required maxlength="120"></label>
        <label>任务 Purpose<input name="purpose" required maxlength="200" value="卡口值勤"></label>
        <label>开始 Start<input type="date" name="started_on" required></label>
        <label>结束 End<input type="date" name="ended_on" required></label>
      </fieldset>
      <button type="submit" class="w-primary">建立 Create</button>
    </form>
  </section>
</article>
""",
)
