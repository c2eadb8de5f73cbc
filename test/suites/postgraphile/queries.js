// queries.js: GraphQL requests against server.js, each asserted; exits 1 on the first
// failure.  Args: URL and name=value pairs from setup.sql.  Every request acts as an
// account and an employee (headers, or a JWT when JWT_SECRET is given).
const assert = require("assert/strict");
const jwt = require("jsonwebtoken");
const [url, ...pairs] = process.argv.slice(2);
const V = Object.fromEntries(pairs.map((p) => p.split("=")));
const num = (k) => Number(V[k]);

async function gql(query, variables, as) {
  const headers = { "content-type": "application/json" };
  if (process.env.JWT_SECRET)
    headers.authorization =
      "Bearer " + jwt.sign({ account_id: as.account, employee_id: as.employee }, process.env.JWT_SECRET);
  else {
    if (as.account != null) headers["x-crm-account"] = String(as.account);
    if (as.employee != null) headers["x-crm-employee"] = String(as.employee);
  }
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  assert.equal(res.status < 500, true, `HTTP ${res.status}`);
  return res.json();
}
async function ok(query, variables, as) {
  const r = await gql(query, variables, as);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data;
}
const annaA = { account: num("a"), employee: num("anna_a") };
const borisA = { account: num("a"), employee: num("boris_a") };
const annaB = { account: num("b"), employee: num("anna_b") };
const checks = [];
function check(name, fn) { checks.push([name, fn]); }

check("vocabularies are GraphQL enums, derived columns are no inputs, read-only functions are queries", async () => {
  const d = await ok(`{ outcome: __type(name: "CallOutcome") { enumValues { name } }
    leadInput: __type(name: "LeadInput") { inputFields { name } }
    query: __type(name: "Query") { fields { name } }
    call: __type(name: "Call") { fields { name type { name ofType { name } } } } }`, {}, annaA);
  assert.deepEqual(d.outcome.enumValues.map((v) => v.name),
    ["TALKED", "NO_ANSWER", "CALL_BACK", "ALREADY_PAID", "REFUSED", "WRONG_CONTACT"]);
  const inputs = d.leadInput.inputFields.map((f) => f.name);
  for (const c of ["closedAt", "statusChangedAt", "overdueSince", "numberSeq", "phone"]) assert.ok(!inputs.includes(c), c);
  assert.ok(inputs.includes("contactPhone") && inputs.includes("deadline"));
  assert.ok(d.query.fields.some((f) => f.name === "schedulerStatus"), "schedulerStatus is a query");
  const outcome = d.call.fields.find((f) => f.name === "outcome");
  assert.equal(outcome.type.ofType.name, "CallOutcome");
});

check("cursor paging of the lead board: pages follow each other without gaps or repeats", async () => {
  const q = `query($after: Cursor) { allLeadBoards(first: 10, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { accountId id number statusKind lead { id } } } } }`;
  let after = null, ids = [], total = null;
  for (let page = 0; page < 20; page++) {
    const d = (await ok(q, { after }, annaA)).allLeadBoards;
    total = d.totalCount;
    for (const e of d.edges) {
      assert.equal(Number(e.node.accountId), num("a"));
      assert.equal(e.node.lead.id, e.node.id, "the board row's lead is the lead behind it");
      assert.match(e.node.statusKind, /^(OPEN|WON|LOST)$/);
      ids.push(Number(e.node.id));
    }
    if (!d.pageInfo.hasNextPage) break;
    after = d.pageInfo.endCursor;
  }
  assert.equal(total, num("leads_a"));
  assert.equal(ids.length, total);
  assert.deepEqual(ids, [...ids].sort((x, y) => x - y), "in key order");
  assert.equal(new Set(ids).size, ids.length, "no row twice");
});

check("a refused transition keeps its SQLSTATE, detail and hint; an allowed one moves the lead", async () => {
  const m = `mutation($lead: BigInt!, $to: BigInt!) { transitionLead(input: { leadId: $lead, toStatus: $to }) {
      lead { id statusId closedAt } } }`;
  const r = await gql(m, { lead: V.lead, to: V.won_a }, annaA);
  assert.equal(r.errors.length, 1);
  const e = r.errors[0];
  assert.equal(e.errcode, "55000", JSON.stringify(e));
  assert.match(e.message, /New/);
  assert.ok(e.detail && e.detail.length > 0, "a detail");
  assert.match(e.hint, /In work/, "the hint names the statuses allowed");
  const d = await ok(m, { lead: V.lead, to: V.work_a }, annaA);
  assert.equal(d.transitionLead.lead.statusId, V.work_a);
});

check("a payment: record_payment returns the payment, the invoice card follows", async () => {
  const d = await ok(`mutation($inv: BigInt!) { recordPayment(input: { invoiceId: $inv, amount: "100.50", succeeded: true }) {
      payment { id amount kind succeeded invoice { status paidAmount } } } }`,
    { inv: V.invoice_a }, annaA);
  const p = d.recordPayment.payment;
  assert.equal(p.amount, "100.50");
  assert.equal(p.kind, "PAYMENT");
  assert.equal(p.invoice.status, "PREPAID");
  const c = await ok(`query($inv: BigInt!) { invoiceCardByAccountIdAndId(accountId: "${V.a}", id: $inv) { status paidAmount } }`,
    { inv: V.invoice_a }, annaA);
  assert.equal(c.invoiceCardByAccountIdAndId.status, "PREPAID");
  assert.equal(c.invoiceCardByAccountIdAndId.paidAmount, "100.50");
  const miss = await gql(`mutation { recordPayment(input: { amount: "1", succeeded: true }) { payment { id } } }`, {}, annaA);
  assert.ok(miss.errors && /invoiceId/.test(miss.errors[0].message), "invoiceId is required");
});

check("one employee's Important inbox: Anna's alerts, not Boris's", async () => {
  const q = `{ allImportants { totalCount nodes { id kind alert { employeeId resolvedAt } } } }`;
  const anna = (await ok(q, {}, annaA)).allImportants;
  assert.equal(anna.totalCount, num("alerts_anna_a"));
  assert.ok(anna.totalCount > 0);
  for (const n of anna.nodes) assert.equal(n.alert.employeeId, V.anna_a);
  const boris = (await ok(q, {}, borisA)).allImportants;
  assert.equal(boris.totalCount, num("alerts_boris_a"));
});

check("a claim from the call queue, then its call logged: log_call returns the call row", async () => {
  const d = await ok(`mutation { claimNextCall(input: {}) { result { kind id nextCallAt } } }`, {}, annaA);
  const claim = d.claimNextCall.result;
  assert.ok(claim.kind === "invoice" || claim.kind === "task", JSON.stringify(claim));
  const q = await ok(`{ allCallQueues(condition: { claimedBy: "${V.anna_a}" }) { nodes { kind id claimedBy } } }`, {}, borisA);
  assert.equal(q.allCallQueues.nodes.length, 0, "an item claimed by Anna is out of Boris's queue");
  const arg = claim.kind === "invoice" ? "invoiceId" : "taskId";
  const l = await ok(`mutation($id: BigInt!) { logCall(input: { ${arg}: $id, outcome: "no_answer" }) {
      call { id outcome nextCallAt clientId } } }`, { id: claim.id }, annaA);
  assert.equal(l.logCall.call.outcome, "NO_ANSWER");
  assert.ok(l.logCall.call.nextCallAt, "the no_answer call schedules the next one");
  const miss = await gql(`mutation($id: BigInt!) { logCall(input: { ${arg}: $id }) { call { id } } }`, { id: claim.id }, annaA);
  assert.ok(miss.errors && /outcome/.test(miss.errors[0].message), "outcome is required");
});

check("two requests of different accounts at once each see only their own account", async () => {
  const q = `{ allLeadBoards { totalCount nodes { accountId } } allClients { nodes { accountId } } }`;
  const runs = [];
  for (let i = 0; i < 6; i++) runs.push(ok(q, {}, annaA), ok(q, {}, annaB));
  const res = await Promise.all(runs);
  res.forEach((d, i) => {
    const acc = i % 2 ? V.b : V.a, leads = i % 2 ? num("leads_b") : num("leads_a");
    assert.equal(d.allLeadBoards.totalCount, leads);
    for (const n of d.allLeadBoards.nodes.concat(d.allClients.nodes)) assert.equal(n.accountId, acc);
  });
  const none = await ok(q, {}, {});
  assert.equal(none.allLeadBoards.totalCount, 0, "a request that names no account sees nothing");
  const forged = await gql(`mutation { createLead(input: { lead: { accountId: "${V.b}", contactName: "forged" } }) { lead { id } } }`, {}, annaA);
  assert.equal(forged.errors[0].errcode, "42501", "a write into another account is refused");
});

(async () => {
  let failed = 0;
  for (const [name, fn] of checks) {
    try { await fn(); console.log(`ok - ${name}`); }
    catch (e) { failed++; console.log(`not ok - ${name}\n  ${String(e.stack || e).split("\n").slice(0, 6).join("\n  ")}`); }
  }
  console.log(failed ? `${failed} of ${checks.length} checks failed` : `all ${checks.length} checks held`);
  process.exit(failed ? 1 : 0);
})();
