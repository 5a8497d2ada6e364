"""The micro-wish pages: a cadre's or party member's phone page to find, claim and fulfil the
nearest wishes, where a resident also posts and confirms (/work/wishes), and the
administrators' page of departments and member units paired with communities
(/work/admin/unit-pairings)."""

from maps.work import WorkPage

WISHES = WorkPage(
    key="wishes",
    title="微心愿 Micro-wishes",
    module="work/wishes.js",
    body="""
<article class="w-wishes" id="w-wishes" aria-busy="true">
  <h1>微心愿 <small>Micro-wishes</small></h1>
  <div class="w-message" id="w-message" role="alert" hidden></div>
  <form id="w-post" class="w-form" novalidate hidden>
    <fieldset><legend>发布心愿 <small>Post a wish</small></legend>
      <label>类型 Kind<select name="kind" required></select></label>
      <label>心愿 Wish <small>(只有认领人和社区能看到全文; 请勿写电话)</small>
        <textarea name="text" rows="3" maxlength="500" required></textarea></label>
      <p class="w-hint">位置: 提交时定位到您的小区
        <small>your compound, located when sent</small></p>
    </fieldset>
    <button type="submit" class="w-primary" id="w-post-send">发布 Post</button>
  </form>
  <section id="w-find" hidden>
    <h2>附近的心愿 <small>Open wishes nearest me</small></h2>
    <div class="w-buttons" role="group" aria-label="从哪里算距离">
      <button type="button" class="w-quiet-button" data-origin="home">离家近 From home</button>
      <button type="button" class="w-quiet-button" data-origin="paired">结对社区 Paired community
      </button>
    </div>
    <p class="w-hint" id="w-origin" role="status"></p>
    <ol class="w-items" id="w-nearby"><li class="w-empty">加载中… loading</li></ol>
  </section>
  <section><h2>我的心愿 <small>Mine: posted or claimed</small></h2>
    <ol class="w-items" id="w-mine"></ol></section>
</article>
""",
)

UNIT_PAIRINGS = WorkPage(
    key="unit_pairings",
    title="结对共建 Unit pairings",
    module="work/unit_pairings.js",
    body="""
<article class="w-unit-pairings" id="w-unit-pairings" aria-busy="true">
  <h1>结对共建 <small>Departments and member units paired with communities</small></h1>
  <div class="w-message" id="w-message" role="alert" hidden></div>
  <form id="w-pair" class="w-form" novalidate>
    <fieldset><legend>新结对 <small>Pair a unit with a community</small></legend>
      <label>部门 Department id<input type="number" name="department_id" min="1"
        inputmode="numeric"></label>
      <label>或成员单位 or member unit id<input type="number" name="unit_id" min="1"
        inputmode="numeric"></label>
      <label>社区 Community<select name="community_id" required></select></label>
      <label>起始 Since<input type="date" name="since" required></label>
    </fieldset>
    <button type="submit" class="w-primary">结对 Pair</button>
  </form>
  <ol class="w-items" id="w-list"><li class="w-empty">加载中… loading</li></ol>
</article>
""",
)
