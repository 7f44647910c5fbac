/**
 * leadsync add-in: the Leads menu, the on-edit trigger and the sidebar.
 *
 * Debounce of the on-edit trigger (onEditInstalled):
 *   Every edit that puts + or x into a Flag cell of a prospect tab writes a fresh "pending"
 *   token into the document cache, then tries the document lock WITHOUT waiting. The one
 *   execution that gets the lock waits until the token stops changing (no new flag edit for
 *   LS_SETTLE_MS), clears it, makes ONE /v1/sync call, releases the lock and, if a new token
 *   arrived meanwhile, goes round again. Every other execution finds the lock taken and simply
 *   returns: its edit is covered by the holder's call. No edit is lost: an execution that fails
 *   tryLock wrote its token BEFORE trying, i.e. while the holder still held the lock, and the
 *   holder looks at the token again after releasing. So 200 quick + (or one paste of 200 +)
 *   make one call; edits elsewhere make none and do not even touch the cache.
 *   The call is /v1/sync, not /v1/convert with row numbers: the + is already in the cell, and
 *   a pass finds rows by content, so a sort or insert between the edit and the call is harmless.
 */

var LS_PENDING_KEY = 'leadsync.pending';
var LS_PENDING_TTL = 600; // seconds a pending mark lives in the cache
var LS_SETTLE_MS = 1500; // quiet time before the call
var LS_MAX_SETTLE_MS = 20000; // call anyway after this much typing
var LS_MAX_ROUNDS = 5;
var LS_HEADER_ROWS = 10; // headers are looked for in the first ten rows, as the engine does
var LS_FLAG_HEADERS = ['flag', 'segna', 'segno'];
var LS_COMPANY_HEADERS = ['company', 'azienda', 'ragionesociale'];
var LS_FLAG_MARKS = ['+', 'x'];
var LS_TRIGGER_FUNCTION = 'onEditInstalled';

function onOpen() {
  SpreadsheetApp.getUi()
    .createMenu('Leads')
    .addItem('Sync now', 'leadsSyncNow')
    .addItem('Convert selected rows', 'leadsConvertSelected')
    .addItem('Strike off selected rows', 'leadsStrikeSelected')
    .addSeparator()
    .addItem('Set up this spreadsheet', 'leadsSetUp')
    .addItem('Settings…', 'leadsShowSidebar')
    .addToUi();
}

// ---- the on-edit trigger ---------------------------------------------------------------------

/** Installable on-edit trigger (a simple onEdit may not call UrlFetchApp). */
function onEditInstalled(e) {
  try {
    if (!e || !e.range || !lsIsFlagEdit_(e)) return 'ignored';
    return lsRequestSync_();
  } catch (err) {
    lsToast_('Leads trigger: ' + lsShort_(err));
    return 'failed';
  }
}

function lsNorm_(value) {
  return String(value == null ? '' : value).replace(/\s+/g, '').toLowerCase();
}

/** {headerRow, flagCol} of a prospect tab (a Flag and a Company header), else null. */
function lsLayout_(sheet) {
  var lastRow = Math.min(sheet.getLastRow(), LS_HEADER_ROWS);
  var lastCol = sheet.getLastColumn();
  if (lastRow < 1 || lastCol < 1) return null;
  var rows = sheet.getRange(1, 1, lastRow, lastCol).getValues();
  for (var r = 0; r < rows.length; r++) {
    var names = rows[r].map(lsNorm_);
    var flag = -1;
    var company = false;
    for (var c = 0; c < names.length; c++) {
      if (flag < 0 && LS_FLAG_HEADERS.indexOf(names[c]) >= 0) flag = c;
      if (LS_COMPANY_HEADERS.indexOf(names[c]) >= 0) company = true;
    }
    if (flag >= 0 && company) return { headerRow: r + 1, flagCol: flag + 1 };
  }
  return null;
}

/** Did this edit put + or x into a Flag cell below the header row? */
function lsIsFlagEdit_(e) {
  var range = e.range;
  var first = range.getColumn();
  var last = first + range.getNumColumns() - 1;
  var sheet = range.getSheet();
  var layout = lsLayout_(sheet);
  if (!layout || layout.flagCol < first || layout.flagCol > last) return false;
  var top = Math.max(range.getRow(), layout.headerRow + 1);
  var bottom = range.getRow() + range.getNumRows() - 1;
  if (bottom < top) return false;
  if (range.getNumRows() === 1 && range.getNumColumns() === 1 && e.value !== undefined) {
    return LS_FLAG_MARKS.indexOf(lsNorm_(e.value)) >= 0;
  }
  var values = sheet.getRange(top, layout.flagCol, bottom - top + 1, 1).getValues();
  for (var i = 0; i < values.length; i++) {
    if (LS_FLAG_MARKS.indexOf(lsNorm_(values[i][0])) >= 0) return true;
  }
  return false;
}

function lsMarkPending_(cache) {
  cache.put(LS_PENDING_KEY, String(Date.now()) + ':' + Math.random(), LS_PENDING_TTL);
}

/** Wait until no new flag edit arrived for LS_SETTLE_MS (at most LS_MAX_SETTLE_MS). */
function lsSettle_(cache) {
  var seen = cache.get(LS_PENDING_KEY);
  for (var waited = 0; waited < LS_MAX_SETTLE_MS; waited += LS_SETTLE_MS) {
    Utilities.sleep(LS_SETTLE_MS);
    var now = cache.get(LS_PENDING_KEY);
    if (now === seen) return;
    seen = now;
  }
}

/** Record the edit; make the one call if no other execution is about to. See the header. */
function lsRequestSync_() {
  var cache = CacheService.getDocumentCache();
  lsMarkPending_(cache);
  var outcome = 'queued';
  for (var round = 0; round < LS_MAX_ROUNDS; round++) {
    var lock = LockService.getDocumentLock();
    if (!lock.tryLock(0)) return outcome; // the holder's call covers this edit
    try {
      if (!cache.get(LS_PENDING_KEY)) return outcome;
      lsSettle_(cache);
      cache.remove(LS_PENDING_KEY);
      lsReport_('sync', lsCall_('sync', {}));
      outcome = 'called';
    } finally {
      lock.releaseLock();
    }
    if (!cache.get(LS_PENDING_KEY)) return outcome;
  }
  return outcome;
}

// ---- menu items ------------------------------------------------------------------------------

function leadsSyncNow() {
  lsGuard_(function () {
    lsReport_('sync', lsCall_('sync', {}));
  });
}

function leadsConvertSelected() {
  lsGuard_(function () {
    lsMarkSelected_('convert');
  });
}

function leadsStrikeSelected() {
  lsGuard_(function () {
    lsMarkSelected_('strike');
  });
}

/** Convert or strike the data rows of the selection, on a prospect tab. */
function lsMarkSelected_(action) {
  var range = SpreadsheetApp.getActive().getActiveRange();
  if (!range) {
    lsToast_('Select the prospect rows first.');
    return null;
  }
  var sheet = range.getSheet();
  var layout = lsLayout_(sheet);
  if (!layout) {
    lsToast_('Select rows on a prospect tab (one with Flag and Company headers).');
    return null;
  }
  var rows = [];
  var top = Math.max(range.getRow(), layout.headerRow + 1);
  var bottom = range.getRow() + range.getNumRows() - 1;
  for (var row = top; row <= bottom && rows.length < 1000; row++) rows.push(row);
  if (!rows.length) {
    lsToast_('Select prospect rows below the header row.');
    return null;
  }
  return lsReport_(action, lsCall_(action, { tab: sheet.getName(), rows: rows }));
}

/**
 * Set up this spreadsheet: lays out nothing itself (the tabs come from `leadsync init --google`
 * on the server). It checks the settings, installs this user's on-edit trigger once, and runs
 * one /v1/sync to prove the URL, the secret and the server's config work together.
 */
function leadsSetUp() {
  lsGuard_(function () {
    var settings = lsSettings_();
    if (lsUrlProblem_(settings.url) || settings.secret.length < LS_MIN_SECRET) {
      leadsShowSidebar();
      lsToast_('Give the server URL and the secret in the sidebar, then run Set up again.');
      return;
    }
    var installed = lsEnsureTrigger_();
    var result = lsCall_('sync', {});
    lsReport_('sync', result);
    if (result.ok) {
      lsToast_((installed ? 'On-edit trigger installed. ' : 'On-edit trigger already there. ') +
        'Connected: ' + result.message);
    }
  });
}

/** Creates the installable on-edit trigger unless this user has it; true when created. */
function lsEnsureTrigger_() {
  var ss = SpreadsheetApp.getActive();
  var triggers = ScriptApp.getUserTriggers(ss);
  for (var i = 0; i < triggers.length; i++) {
    if (triggers[i].getHandlerFunction() === LS_TRIGGER_FUNCTION) return false;
  }
  ScriptApp.newTrigger(LS_TRIGGER_FUNCTION).forSpreadsheet(ss).onEdit().create();
  return true;
}

function lsGuard_(work) {
  try {
    work();
  } catch (err) {
    lsToast_('Leads: ' + lsShort_(err));
  }
}

// ---- sidebar (functions google.script.run calls: no trailing underscore) ---------------------

function leadsShowSidebar() {
  var html = HtmlService.createHtmlOutputFromFile('Sidebar').setTitle('Leads');
  SpreadsheetApp.getUi().showSidebar(html);
}

/** What the sidebar shows: the URL, whether a secret is set (never the secret), the last pass. */
function leadsSidebarState() {
  var settings = lsSettings_();
  var last = null;
  try {
    last = JSON.parse(PropertiesService.getDocumentProperties().getProperty(LS_PROP_LAST) || 'null');
  } catch (err) {
    last = null;
  }
  return { url: settings.url, secretSet: settings.secret.length >= LS_MIN_SECRET, last: last };
}

/** Saves the Settings form; an empty secret keeps the stored one. Returns {ok, message}. */
function leadsSaveSettings(form) {
  var url = String((form && form.url) || '').trim().replace(/\/+$/, '');
  var secret = String((form && form.secret) || '').trim();
  var problem = lsUrlProblem_(url);
  if (problem) return { ok: false, message: problem };
  var props = PropertiesService.getDocumentProperties();
  if (!secret && !(props.getProperty(LS_PROP_SECRET) || '')) {
    return { ok: false, message: 'give the secret serve.toml holds for this spreadsheet' };
  }
  if (secret && secret.length < LS_MIN_SECRET) {
    return { ok: false, message: 'the secret is shorter than ' + LS_MIN_SECRET + ' characters' };
  }
  var values = {};
  values[LS_PROP_URL] = url;
  if (secret) values[LS_PROP_SECRET] = secret;
  props.setProperties(values);
  return { ok: true, message: 'Saved.' };
}
