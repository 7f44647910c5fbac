// The add-in without a server: signing vectors (from sheets_addin/signing.py), the menu, the
// flag-edit filter and the debounce, with UrlFetchApp answered by world.fakeFetch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAddin } from './gas_doubles.mjs';

const SECRET = 's3cret-for-the-north-team-0123456789';
const HEADERS = ['Flag', 'Company', 'Contact', 'Email', 'Lead', 'Sync note'];
const GRID = [HEADERS, ['', 'Acme Inc', 'Ada'], ['', 'Borgo Verde Srl', ''], ['', 'Casa Blu SpA', '']];
const OK = JSON.stringify({ ok: true, counts: { leads_created: 1 }, problems: [] });

function addin() {
  const a = loadAddin({ grid: GRID });
  assert.equal(a.configure('https://leads.example.com/', SECRET).ok, true);
  a.world.fakeFetch = () => [200, OK];
  return a;
}

const plain = (value) => JSON.parse(JSON.stringify(value)); // out of the vm's realm

test('the signature matches the vectors signing.py computes', () => {
  const { ctx } = loadAddin({ grid: GRID });
  const body = '{"spreadsheet":"1Abc","request_id":"req-00000001"}';
  const h = plain(ctx.lsSignedHeaders_(SECRET, 'post', '/v1/sync', body, 1800000000, 'req-00000001'));
  assert.deepEqual(h, {
    'X-Leadsync-Timestamp': '1800000000',
    'X-Leadsync-Request-Id': 'req-00000001',
    'X-Leadsync-Signature': 'c471ca8555e0d7cb01701efe51821d0ca80cc8aeccbe8b5a7e7f2fb9d7b3569a',
  });
  const ascii = ctx.lsAsciiJson_({ tab: 'Prospetti à' });
  assert.equal(ascii, '{"tab":"Prospetti \\u00e0"}');
  const other = ctx.lsSignedHeaders_('s3cret-ü-0123456789abcdef', 'POST', '/v1/convert', ascii, 1800000000, 'abc-123-def');
  assert.equal(other['X-Leadsync-Signature'], '419bce0bbfae33bec87991a04a89dda68fa1187eb3c81553a670389dff04cc26');
});

test('onOpen adds the Leads menu with its five items', () => {
  const { ctx, world } = loadAddin({ grid: GRID });
  ctx.onOpen();
  const [menu] = world.menus;
  assert.equal(menu.name, 'Leads');
  const labels = menu.items.filter(([l]) => l !== '-').map(([l, fn]) => [l, typeof ctx[fn]]);
  assert.deepEqual(labels, [
    ['Sync now', 'function'],
    ['Convert selected rows', 'function'],
    ['Strike off selected rows', 'function'],
    ['Set up this spreadsheet', 'function'],
    ['Settings…', 'function'],
  ]);
});

test('an edit that is not + or x in a Flag cell calls nothing and marks nothing', () => {
  const a = addin();
  const other = a.sheets.length; // only one tab here
  assert.equal(other, 1);
  assert.equal(a.edit(2, 2, 'Acme Corp'), 'ignored'); // Company column
  assert.equal(a.edit(1, 1, 'Flag'), 'ignored'); // the header row itself
  assert.equal(a.edit(2, 1, ''), 'ignored'); // flag cleared
  assert.equal(a.edit(2, 1, 'maybe'), 'ignored');
  assert.equal(a.paste(2, 2, [['a', 'b'], ['c', 'd']]), 'ignored'); // block beside the flag column
  assert.equal(a.world.fetches.length, 0);
  assert.equal(a.world.cachePuts, 0);
});

test('a tab without Flag and Company headers is not a prospect tab', () => {
  const a = loadAddin({ grid: GRID, extraTabs: { Leads: [['Lead ID', 'Company', 'Status']] } });
  a.configure('https://leads.example.com', SECRET);
  a.world.fakeFetch = () => [200, OK];
  assert.equal(a.edit(2, 1, '+', a.sheets[1]), 'ignored');
  assert.equal(a.world.fetches.length, 0);
});

test('a + typed in a Flag cell makes one signed /v1/sync call and a toast', () => {
  const a = addin();
  assert.equal(a.edit(2, 1, '+'), 'called');
  assert.equal(a.world.fetches.length, 1);
  const [call] = a.world.fetches;
  assert.equal(call.url, 'https://leads.example.com/v1/sync');
  assert.equal(call.method, 'POST');
  const body = JSON.parse(call.body);
  assert.equal(body.spreadsheet, '1TestSpreadsheet000000');
  assert.equal(body.request_id, call.headers['X-Leadsync-Request-Id']);
  assert.match(call.headers['X-Leadsync-Signature'], /^[0-9a-f]{64}$/);
  assert.deepEqual(a.world.toasts, ['Sync: 1 lead(s) created.']);
  assert.equal(a.edit(3, 1, ' X '), 'called'); // x strikes off: also a call
});

test('200 quick + edits, arriving while the first waits, make one call', () => {
  const a = addin();
  let delivered = 0;
  const outcomes = [];
  a.world.onSleep = () => {
    // Other executions start while the holder waits: 100 edits per wait, twice.
    for (let i = 0; i < 100 && delivered < 199; i++, delivered++) {
      outcomes.push(a.edit(2 + (delivered % 3), 1, '+'));
    }
  };
  assert.equal(a.edit(2, 1, '+'), 'called');
  assert.equal(delivered, 199);
  assert.ok(outcomes.every((o) => o === 'queued'));
  assert.equal(a.world.fetches.length, 1);
  assert.equal(a.world.toasts.length, 1);
});

test('one paste of 200 + is one event and one call', () => {
  const a = addin();
  const block = Array.from({ length: 200 }, () => ['+']);
  assert.equal(a.paste(2, 1, block), 'called');
  assert.equal(a.world.fetches.length, 1);
});

test('an edit during the call is not lost: the holder calls once more', () => {
  const a = addin();
  let once = true;
  a.world.onFetch = () => {
    if (once) {
      once = false;
      assert.equal(a.edit(3, 1, '+'), 'queued'); // lock held: the holder must pick it up
    }
  };
  assert.equal(a.edit(2, 1, '+'), 'called');
  assert.equal(a.world.fetches.length, 2);
});

test('edits after the call, once the lock is free, make their own call', () => {
  const a = addin();
  a.edit(2, 1, '+');
  a.world.advance(60000);
  a.edit(3, 1, '+');
  assert.equal(a.world.fetches.length, 2);
});

test('without settings the trigger calls nothing and says how to set up', () => {
  const a = loadAddin({ grid: GRID });
  a.world.fakeFetch = () => [200, OK];
  a.edit(2, 1, '+');
  assert.equal(a.world.fetches.length, 0);
  assert.match(a.world.toasts[0], /Leads ▸ Settings/);
});

test('failures become one short toast, never a stack trace', () => {
  const a = addin();
  const cases = [
    [401, { ok: false, error: 'bad signature' }, /secret.*\(bad signature\)/],
    [403, { ok: false, error: 'spreadsheet not configured on this server' }, /serve\.toml/],
    [409, { ok: false, error: 'busy' }, /busy/],
    [502, '<html>bad gateway</html>', /answered 502/],
  ];
  for (const [status, body, pattern] of cases) {
    a.world.toasts.length = 0;
    a.world.fakeFetch = () => [status, typeof body === 'string' ? body : JSON.stringify(body)];
    a.ctx.leadsSyncNow();
    assert.equal(a.world.toasts.length, 1);
    assert.match(a.world.toasts[0], pattern);
    assert.doesNotMatch(a.world.toasts[0], /\n|at .*\.js/);
  }
  a.world.fakeFetch = () => { throw new Error('Exception: Address unavailable: https://leads.example.com'); };
  a.world.toasts.length = 0;
  a.ctx.leadsSyncNow();
  assert.match(a.world.toasts[0], /could not reach the server/);
  const last = JSON.parse(a.properties.getProperty('leadsync.lastPass'));
  assert.equal(last.ok, false);
});

test('Convert selected rows sends the data rows of the selection and the tab', () => {
  const a = addin();
  a.world.fakeFetch = () => [200, JSON.stringify({ ok: true, counts: {}, problems: [], marked: [2], skipped: [] })];
  a.select(1, 2, 3, 1); // header row included: it is left out
  a.ctx.leadsConvertSelected();
  const body = JSON.parse(a.world.fetches[0].body);
  assert.deepEqual([body.tab, body.rows], ['Prospects', [2, 3]]);
  assert.ok(a.world.fetches[0].url.endsWith('/v1/convert'));
  a.ctx.leadsStrikeSelected();
  assert.ok(a.world.fetches[1].url.endsWith('/v1/strike'));
});

test('Settings keep the secret in document properties and never hand it to the sidebar', () => {
  const a = loadAddin({ grid: GRID });
  assert.equal(a.configure('http://example.com', SECRET).ok, false); // not https
  assert.equal(a.configure('https://leads.example.com', 'short').ok, false);
  assert.equal(a.configure('https://leads.example.com', '').ok, false); // no secret yet
  assert.equal(a.configure('https://leads.example.com/', SECRET).ok, true);
  assert.equal(a.configure('https://leads.example.com', '').ok, true); // keeps the stored one
  assert.equal(a.properties.getProperty('leadsync.secret'), SECRET);
  const state = plain(a.ctx.leadsSidebarState());
  assert.deepEqual(state, { url: 'https://leads.example.com', secretSet: true, last: null });
  a.ctx.leadsShowSidebar();
  assert.equal(a.world.sidebars[0].title, 'Leads');
  assert.match(a.world.sidebars[0].getContent(), /leadsSaveSettings/);
});

test('Set up installs the on-edit trigger once and checks the connection', () => {
  const a = addin();
  a.ctx.leadsSetUp();
  a.ctx.leadsSetUp();
  assert.equal(a.world.triggers.length, 1);
  assert.deepEqual(plain(a.world.triggers[0].spec), {
    fn: 'onEditInstalled',
    spreadsheet: '1TestSpreadsheet000000',
    event: 'ON_EDIT',
  });
  assert.equal(a.world.fetches.length, 2);
  assert.match(a.world.toasts.at(-1), /already there\. Connected/);
});

test('the identity token goes along as Authorization: Bearer, beside the signature', () => {
  const a = addin();
  a.world.identityToken = 'eyJhbGciOi.eyJlbWFpbCI.c2lnbmF0dXJl';
  a.ctx.leadsSyncNow();
  const [call] = a.world.fetches;
  assert.equal(call.headers.Authorization, 'Bearer eyJhbGciOi.eyJlbWFpbCI.c2lnbmF0dXJl');
  assert.match(call.headers['X-Leadsync-Signature'], /^[0-9a-f]{64}$/);
});

test('without a token the call still goes out, with no Authorization header', () => {
  const a = addin();
  a.world.identityToken = null; // openid not granted: getIdentityToken() gives null
  a.ctx.leadsSyncNow();
  a.world.identityToken = new Error('Authorization is required to perform that action.');
  a.ctx.leadsSyncNow();
  assert.equal(a.world.fetches.length, 2);
  for (const call of a.world.fetches) assert.equal('Authorization' in call.headers, false);
  assert.deepEqual(a.world.toasts, ['Sync: 1 lead(s) created.', 'Sync: 1 lead(s) created.']);
});

test('an identity refusal is one short toast that says what to do', () => {
  const a = addin();
  const cases = [
    [401, 'an identity token is required (Authorization: Bearer ...)', /could not confirm your Google account/],
    [401, 'the identity token is not valid', /could not confirm your Google account/],
    [403, 'this Google account may not use leadsync on this server', /does not let your Google account use leadsync/],
    [403, 'spreadsheet not configured on this server', /serve\.toml/],
    [401, 'bad signature', /check the secret/],
    [503, 'could not record this request in Google Sheets', /try again in a minute/],
  ];
  for (const [status, error, pattern] of cases) {
    a.world.toasts.length = 0;
    a.world.fakeFetch = () => [status, JSON.stringify({ ok: false, error })];
    a.ctx.leadsSyncNow();
    assert.equal(a.world.toasts.length, 1);
    assert.match(a.world.toasts[0], pattern);
    assert.ok(a.world.toasts[0].length <= 200);
    assert.doesNotMatch(a.world.toasts[0], /\n|Bearer/);
  }
});
