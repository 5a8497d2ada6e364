"""The property workspace page (/work/property): a firm's account sees the compounds it serves,
uploads a finance statement and edits the fee standards; community staff read and record a
compound's five steps (摸帮研建创); an administrator sees the register of firms and adds one.
The script (work/property.js) reads the API; what it offers is what the API allows (access
rows publish_property, record_property_step, manage_property_firms)."""

from maps.work import WorkPage

PROPERTY = WorkPage(
    key="property",
    title="物业公开 Property in the open",
    module="work/property.js",
    body="""
<article class="w-property" id="w-property" aria-busy="true">
  <h1>物业三公开 <small>Services, fees, finances in the open</small></h1>
  <div class="w-message" id="w-message" role="alert" hidden></div>
  <section id="w-firm" hidden>
    <p class="w-hint" id="w-firm-name"></p>
    <label>小区 Compound<select id="w-compound"></select></label>
    <p id="w-public"></p>
    <h2>收费标准 <small>Fee standards</small></h2>
    <ol class="w-items" id="w-fees"></ol>
    <form id="w-fee" class="w-form" novalidate>
      <fieldset><legend>新增收费项目 <small>Add a fee item</small></legend>
        <label>项目 Item<input name="item" maxlength="40" required></label>
        <label>单位 Unit<input name="unit" maxlength="24" required placeholder="元/㎡·月"></label>
        <label>单价 Price<input name="price" type="number" min="0" step="0.01" required></label>
        <label>起 From<input name="period_start" type="date" required></label>
        <label>止 To<input name="period_end" type="date" required></label>
      </fieldset>
      <button type="submit" class="w-primary">保存 Save</button>
    </form>
    <form id="w-statement" class="w-form" novalidate>
      <fieldset><legend>上传财务公开 <small>Upload a finance statement</small></legend>
        <label>起 From<input name="period_start" type="date" required></label>
        <label>止 To<input name="period_end" type="date" required></label>
        <label class="w-file">PDF 或 XLSX (列: 类别, 项目, 金额)<input type="file" name="file"
          accept=".pdf,.xlsx" required></label>
      </fieldset>
      <button type="submit" class="w-primary">上传 Upload</button>
    </form>
  </section>
  <section id="w-method">
    <h2>五步工作法 <small>Five steps: 摸 帮 研 建 创</small></h2>
    <label>小区编号 Compound id<input id="w-method-compound" type="number" min="1"
      inputmode="numeric"></label>
    <ol class="w-items" id="w-steps"></ol>
    <form id="w-step" class="w-form" novalidate>
      <fieldset><legend>记录一步 <small>Record a step</small></legend>
        <label>步骤 Step<select name="step"></select></label>
        <label>日期 Date<input name="done_on" type="date" required></label>
        <label>做了什么 Note<textarea name="note" rows="2" maxlength="500" required></textarea>
        </label>
      </fieldset>
      <button type="submit" class="w-primary">记录 Record</button>
    </form>
  </section>
  <section id="w-register" hidden>
    <h2>物业企业名录 <small>Register of property firms</small></h2>
    <ol class="w-items" id="w-firms"></ol>
    <form id="w-new-firm" class="w-form" novalidate>
      <fieldset><legend>登记物业企业 <small>Register a firm</small></legend>
        <label>名称 Name<input name="name" maxlength="80" required></label>
        <label>类型 Kind<select name="kind"><option value="market">市场化物业</option>
          <option value="state">国企兜底</option><option value="self">居民自管</option></select>
        </label>
        <label>服务热线 Hotline<input name="hotline" maxlength="32"></label>
      </fieldset>
      <button type="submit" class="w-primary">登记 Register</button>
    </form>
  </section>
</article>
""",
)
