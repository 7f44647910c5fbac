/**
 * leadsync add-in: settings and the signed call to `leadsync serve`.
 *
 * The signature is the one sheets_addin/signing.py defines:
 *   body_hash = hex(SHA-256(body bytes))
 *   canonical = METHOD \n PATH \n TIMESTAMP \n REQUEST_ID \n body_hash   (no trailing newline)
 *   X-Leadsync-Signature = hex(HMAC-SHA256(key = secret, message = canonical))
 * with X-Leadsync-Timestamp (whole seconds since the epoch) and X-Leadsync-Request-Id
 * (Utilities.getUuid(), a fresh one per call; the server accepts an ID once).
 *
 * When the person's Google identity token can be had (ScriptApp.getIdentityToken(), scopes
 * openid and userinfo.email), it goes along as `Authorization: Bearer TOKEN`, for servers whose
 * serve.toml has an [identity] section. When it cannot, the call goes out without it: the server
 * decides, and a refusal shows as a short toast like any other.
 *
 * Settings live in the DOCUMENT properties of this spreadsheet (PropertiesService
 * .getDocumentProperties()): the secret belongs to the spreadsheet (serve.toml lists one secret
 * per spreadsheet), every editor's trigger and menu must find the same value, and the same code
 * keeps working if the project is ever published as an editor add-on, where script properties
 * would be shared by every spreadsheet that installs it.
 */

var LS_PROP_URL = 'leadsync.serverUrl';
var LS_PROP_SECRET = 'leadsync.secret';
var LS_PROP_LAST = 'leadsync.lastPass';
var LS_MIN_SECRET = 16; // as serve.toml: shorter is a password someone typed
var LS_TOAST_TITLE = 'Leads';

/** Lowercase hex of an Apps Script byte array (bytes are signed: -128..127). */
function lsHex_(bytes) {
  var out = '';
  for (var i = 0; i < bytes.length; i++) {
    out += ('0' + (bytes[i] & 0xff).toString(16)).slice(-2);
  }
  return out;
}

/** The X-Leadsync-* headers of a request (exactly signing.signed_headers). */
function lsSignedHeaders_(secret, method, path, body, timestamp, requestId) {
  var stamp = String(timestamp);
  var bodyHash = lsHex_(
    Utilities.computeDigest(Utilities.DigestAlgorithm.SHA_256, body, Utilities.Charset.UTF_8));
  var canonical = [method.toUpperCase(), path, stamp, requestId, bodyHash].join('\n');
  var signature = lsHex_(
    Utilities.computeHmacSha256Signature(canonical, secret, Utilities.Charset.UTF_8));
  return {
    'X-Leadsync-Timestamp': stamp,
    'X-Leadsync-Request-Id': requestId,
    'X-Leadsync-Signature': signature
  };
}

/** JSON with every non-ASCII character escaped: the bytes sent are the bytes hashed. */
function lsAsciiJson_(value) {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, function (c) {
    return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
  });
}

function lsSettings_() {
  var props = PropertiesService.getDocumentProperties();
  return {
    url: (props.getProperty(LS_PROP_URL) || '').replace(/\/+$/, ''),
    secret: props.getProperty(LS_PROP_SECRET) || ''
  };
}

/** http:// is only for a server on this machine (tests); Google reaches https:// only. */
function lsUrlProblem_(url) {
  if (!url) return 'give the server URL, e.g. https://leads.example.com';
  if (/^https:\/\/[^\s\/?#]+(\/[^\s?#]*)?$/.test(url)) return '';
  if (/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/[^\s?#]*)?$/.test(url)) return '';
  return 'the server URL must start with https:// (no query string)';
}

/**
 * One signed POST to /v1/<action>. Never throws: returns
 * {ok, status, answer (parsed JSON or null), message (short, for a person)}.
 */
function lsCall_(action, extra) {
  var settings = lsSettings_();
  if (lsUrlProblem_(settings.url) || settings.secret.length < LS_MIN_SECRET) {
    return lsFailure_(0, 'not set up: open Leads ▸ Settings… and give the server URL and secret');
  }
  var requestId = Utilities.getUuid();
  var payload = { spreadsheet: SpreadsheetApp.getActive().getId(), request_id: requestId };
  for (var key in extra) {
    if (Object.prototype.hasOwnProperty.call(extra, key)) payload[key] = extra[key];
  }
  var body = lsAsciiJson_(payload);
  var prefix = settings.url.replace(/^https?:\/\/[^\/]+/, '');
  var path = prefix + '/v1/' + action;
  var timestamp = Math.floor(Date.now() / 1000);
  var headers = lsSignedHeaders_(settings.secret, 'POST', path, body, timestamp, requestId);
  var token = lsIdentityToken_();
  if (token) headers.Authorization = 'Bearer ' + token;
  var response;
  try {
    response = UrlFetchApp.fetch(settings.url + '/v1/' + action, {
      method: 'post',
      contentType: 'application/json',
      payload: body,
      headers: headers,
      muteHttpExceptions: true,
      followRedirects: false
    });
  } catch (err) {
    return lsFailure_(0, 'could not reach the server; check the URL in Leads ▸ Settings…');
  }
  var status = response.getResponseCode();
  var answer = null;
  try {
    answer = JSON.parse(response.getContentText());
  } catch (err) {
    answer = null;
  }
  if (status === 200 && answer && answer.ok) {
    return { ok: true, status: 200, answer: answer, message: lsSummary_(action, answer) };
  }
  var said = answer && typeof answer.error === 'string' ? answer.error.slice(0, 160) : '';
  return lsFailure_(status, lsExplain_(status, said), answer);
}

/** The effective user's OpenID identity token, or '' when there is none to be had. */
function lsIdentityToken_() {
  try {
    return ScriptApp.getIdentityToken() || '';
  } catch (err) {
    return ''; // e.g. the openid scope not granted yet: the server says whether it needs one
  }
}

function lsFailure_(status, message, answer) {
  return { ok: false, status: status, answer: answer || null, message: message };
}

function lsExplain_(status, said) {
  // The server's own words tell an identity refusal from a signature or spreadsheet one.
  if (status === 401 && /identity token/.test(said)) {
    return 'server could not confirm your Google account: reload the spreadsheet, run ' +
      'Leads ▸ Set up this spreadsheet and allow what it asks';
  }
  if (status === 403 && /Google account/.test(said)) {
    return 'server does not let your Google account use leadsync: ask whoever runs it to add you';
  }
  var hint = {
    401: 'refused the signature: check the secret in Leads ▸ Settings… and this computer\'s clock',
    403: 'does not know this spreadsheet: add it to serve.toml on the server',
    409: 'is busy with another pass; try again in a minute',
    413: 'got too many rows at once; select fewer',
    429: 'got too many calls; wait a few seconds',
    503: 'could not record the call in Google Sheets; try again in a minute'
  }[status];
  var text = 'server ' + (hint || 'answered ' + status);
  return said ? text + ' (' + said + ')' : text;
}

var LS_COUNT_WORDS = {
  leads_created: 'lead(s) created',
  leads_recovered: 'lead(s) recovered',
  moved_to_todo: 'moved to To-do',
  folders_created: 'folder(s) opened',
  folders_updated: 'folder(s) updated',
  struck_off: 'struck off',
  renewals_created: 'renewal(s)'
};

function lsSummary_(action, answer) {
  var parts = [];
  var counts = answer.counts || {};
  for (var key in LS_COUNT_WORDS) {
    if (counts[key]) parts.push(counts[key] + ' ' + LS_COUNT_WORDS[key]);
  }
  if (answer.skipped && answer.skipped.length) {
    parts.push(answer.skipped.length + ' row(s) skipped');
  }
  var problems = (answer.problems || []).length;
  if (problems) parts.push(problems + ' row(s) with problems (see their Sync note)');
  return (parts.length ? parts.join(', ') : 'nothing to do') + '.';
}

/** Keep the outcome for the sidebar (small: counts and row references only) and toast it. */
function lsReport_(action, result) {
  var record = {
    action: action,
    at: new Date().toISOString(),
    ok: result.ok,
    status: result.status,
    message: result.message,
    counts: result.ok ? result.answer.counts || {} : {},
    problems: result.ok
      ? (result.answer.problems || []).slice(0, 50).map(function (p) { return String(p.where); })
      : [],
    skipped: result.ok ? result.answer.skipped || [] : []
  };
  try {
    PropertiesService.getDocumentProperties().setProperty(LS_PROP_LAST, JSON.stringify(record));
  } catch (err) {
    // The toast below still tells the person; the sidebar shows the previous pass.
  }
  lsToast_((result.ok ? 'Sync: ' : 'Sync failed: ') + result.message);
  return record;
}

function lsToast_(message) {
  try {
    SpreadsheetApp.getActive().toast(String(message).slice(0, 200), LS_TOAST_TITLE, 8);
  } catch (err) {
    // No UI to show it in (e.g. a trigger with no one looking): the sidebar keeps the outcome.
  }
}

/** What a caught error says, in one short line (never a stack trace). */
function lsShort_(err) {
  var text = err && err.message ? err.message : String(err);
  return text.split('\n')[0].slice(0, 160);
}
