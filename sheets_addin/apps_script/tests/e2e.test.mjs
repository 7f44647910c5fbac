// The add-in against a real `leadsync serve` (uvicorn on loopback, the engine on the Google
// Sheets API stand-in). tests/test_apps_script.py starts both, runs this file once per phase
// and checks the stand-in afterwards. Without its environment these tests are skipped.
//
//   LEADSYNC_E2E_PHASE   "refused" (wrong secret), "accepted" (the right one), or, against a
//                        server whose serve.toml has [identity]: "identity-refused" (no token,
//                        a token of someone not allowed) and "identity-accepted"
//   LEADSYNC_E2E_URL     the server's base URL
//   LEADSYNC_E2E_SHEET   the spreadsheet ID serve.toml lists
//   LEADSYNC_E2E_SECRET  its secret
//   LEADSYNC_E2E_GRID    JSON of the Prospects tab as the stand-in holds it (header row first)
//   LEADSYNC_E2E_TOKEN_ALLOWED, LEADSYNC_E2E_TOKEN_STRANGER   identity tokens the Python side
//                        minted with a key whose certificate that server trusts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAddin } from './gas_doubles.mjs';

const env = process.env;
const PHASE = env.LEADSYNC_E2E_PHASE || '';
const why = (phase) => PHASE !== phase && `needs LEADSYNC_E2E_PHASE=${phase} (tests/test_apps_script.py sets it)`;

function addin(secret) {
  const grid = JSON.parse(env.LEADSYNC_E2E_GRID);
  const a = loadAddin({ spreadsheetId: env.LEADSYNC_E2E_SHEET, tab: 'Prospects', grid });
  assert.equal(a.configure(env.LEADSYNC_E2E_URL, secret).ok, true);
  return a;
}

function last(a) {
  return JSON.parse(a.properties.getProperty('leadsync.lastPass'));
}

test('refused: a wrong secret gets 401, shown as a toast', { skip: why('refused') }, () => {
  const a = addin('a-wrong-secret-that-is-long-enough');
  const flag = a.sheet.column('Flag');
  assert.equal(a.edit(2, a.sheet.column('Company'), 'Acme Inc'), 'ignored');
  assert.equal(a.world.fetches.length, 0);
  assert.equal(a.edit(2, flag, '+'), 'called');
  assert.equal(a.world.fetches.length, 1);
  assert.equal(last(a).status, 401);
  assert.equal(a.world.toasts.length, 1);
  assert.match(a.world.toasts[0], /^Sync failed: server refused the signature: check the secret/);
  assert.match(a.world.toasts[0], /\(bad signature\)$/);
});

test('accepted: + creates the lead, a replay is refused, 200 edits make one call', { skip: why('accepted') }, () => {
  const a = addin(env.LEADSYNC_E2E_SECRET);
  const flag = a.sheet.column('Flag');

  // An edit outside the Flag column: no call.
  assert.equal(a.edit(3, a.sheet.column('Contact'), 'Bruno'), 'ignored');
  assert.equal(a.world.fetches.length, 0);

  // + in row 2's Flag cell: one call, one lead.
  assert.equal(a.edit(2, flag, '+'), 'called');
  assert.equal(a.world.fetches.length, 1);
  assert.equal(last(a).status, 200);
  assert.equal(last(a).counts.leads_created, 1);
  assert.deepEqual(a.world.toasts, ['Sync: 1 lead(s) created.']);
  const usedId = a.world.fetches[0].headers['X-Leadsync-Request-Id'];

  // The same request ID again (a replay): 401, said in a toast.
  a.world.uuids.push(usedId);
  a.ctx.leadsSyncNow();
  assert.equal(a.world.fetches.length, 2);
  assert.equal(last(a).status, 401);
  assert.match(a.world.toasts.at(-1), /request id already used/);

  // 200 quick edits while the first execution waits: one call, nothing new.
  let delivered = 0;
  a.world.onSleep = () => {
    for (; delivered < 199; delivered++) a.edit(2 + (delivered % 3), flag, '+');
  };
  const before = a.world.fetches.length;
  assert.equal(a.edit(2, flag, '+'), 'called');
  a.world.onSleep = null;
  assert.equal(delivered, 199);
  assert.equal(a.world.fetches.length - before, 1);
  assert.equal(last(a).status, 200);
  assert.equal(last(a).counts.leads_created, 0);

  // Convert selected rows: row 4 (Casa Blu SpA) becomes a lead through /v1/convert.
  a.select(4, 2);
  a.ctx.leadsConvertSelected();
  assert.equal(last(a).status, 200, last(a).message);
  assert.equal(last(a).counts.leads_created, 1);
  assert.ok(a.world.fetches.at(-1).url.endsWith('/v1/convert'));
});

test('identity-refused: no token gets 401, a stranger\'s token 403, each a short toast', { skip: why('identity-refused') }, () => {
  const a = addin(env.LEADSYNC_E2E_SECRET);
  const flag = a.sheet.column('Flag');

  a.world.identityToken = null; // the openid scope not granted
  assert.equal(a.edit(2, flag, '+'), 'called');
  assert.equal('Authorization' in a.world.fetches[0].headers, false);
  assert.equal(last(a).status, 401);
  assert.match(a.world.toasts.at(-1), /^Sync failed: server could not confirm your Google account/);

  a.world.identityToken = env.LEADSYNC_E2E_TOKEN_STRANGER;
  a.world.advance(60000);
  assert.equal(a.edit(2, flag, '+'), 'called');
  assert.equal(a.world.fetches[1].headers.Authorization, 'Bearer ' + env.LEADSYNC_E2E_TOKEN_STRANGER);
  assert.equal(last(a).status, 403);
  assert.match(a.world.toasts.at(-1), /^Sync failed: server does not let your Google account use leadsync/);
  assert.equal(a.world.toasts.length, 2);
});

test('identity-accepted: with the person\'s token, + becomes the lead', { skip: why('identity-accepted') }, () => {
  const a = addin(env.LEADSYNC_E2E_SECRET);
  a.world.identityToken = env.LEADSYNC_E2E_TOKEN_ALLOWED;
  assert.equal(a.edit(2, a.sheet.column('Flag'), '+'), 'called');
  assert.equal(a.world.fetches[0].headers.Authorization, 'Bearer ' + env.LEADSYNC_E2E_TOKEN_ALLOWED);
  assert.equal(last(a).status, 200, last(a).message);
  assert.equal(last(a).counts.leads_created, 1);
  assert.deepEqual(a.world.toasts, ['Sync: 1 lead(s) created.']);
});
