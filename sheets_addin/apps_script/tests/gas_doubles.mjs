// Doubles of the Apps Script services the add-in uses, and a loader that runs the add-in's .js
// files in a node:vm context with them, the way Apps Script runs a project: every file's
// top-level declarations in one global scope.
//
// UrlFetchApp.fetch makes a REAL, synchronous HTTP request (a child node process running
// fetch), unless world.fakeFetch answers it. Utilities.sleep does not sleep: it calls
// world.onSleep, which is where a test lets "other executions" (more edits) happen, since an
// execution holding the lock is only ever interrupted while it waits.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCES = fs.readdirSync(PROJECT).filter((f) => f.endsWith('.js')).sort();

const FETCH_CHILD = `
let input = '';
process.stdin.on('data', (d) => { input += d; }).on('end', async () => {
  const r = JSON.parse(input);
  try {
    const res = await fetch(r.url, { method: r.method, headers: r.headers, body: r.body,
                                     redirect: 'manual', signal: AbortSignal.timeout(20000) });
    process.stdout.write(JSON.stringify({ status: res.status, body: await res.text() }));
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e && e.message) }));
  }
});`;

/** Java-style signed bytes, as Apps Script's Utilities return them. */
function signed(buffer) {
  return Array.from(buffer, (b) => (b > 127 ? b - 256 : b));
}

function bytesOf(value) {
  return Array.isArray(value) ? Buffer.from(value.map((b) => b & 0xff)) : Buffer.from(String(value), 'utf8');
}

class Range {
  constructor(sheet, row, col, rows, cols) {
    Object.assign(this, { sheet, row, col, rows, cols });
  }
  getSheet() { return this.sheet; }
  getRow() { return this.row; }
  getColumn() { return this.col; }
  getNumRows() { return this.rows; }
  getNumColumns() { return this.cols; }
  getValues() {
    const out = [];
    for (let r = 0; r < this.rows; r++) {
      const line = this.sheet.grid[this.row - 1 + r] || [];
      const cells = [];
      for (let c = 0; c < this.cols; c++) {
        const v = line[this.col - 1 + c];
        cells.push(v === undefined || v === null ? '' : v);
      }
      out.push(cells);
    }
    return out;
  }
  getValue() { return this.getValues()[0][0]; }
  setValues(values) {
    values.forEach((line, r) => line.forEach((v, c) => this.sheet.set(this.row + r, this.col + c, v)));
    return this;
  }
  setValue(v) { return this.setValues([[v]]); }
}

class Sheet {
  constructor(name, grid) {
    this.name = name;
    this.grid = grid.map((line) => line.slice());
  }
  getName() { return this.name; }
  getLastRow() { return this.grid.length; }
  getLastColumn() { return Math.max(0, ...this.grid.map((l) => l.length)); }
  getRange(row, col, rows = 1, cols = 1) {
    if (row < 1 || col < 1 || rows < 1 || cols < 1) throw new Error('Range out of bounds');
    return new Range(this, row, col, rows, cols);
  }
  set(row, col, value) {
    while (this.grid.length < row) this.grid.push([]);
    const line = this.grid[row - 1];
    while (line.length < col) line.push('');
    line[col - 1] = value;
  }
  column(header) {
    return this.grid[0].indexOf(header) + 1;
  }
}

class Store {
  constructor() { this.map = new Map(); }
  getProperty(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setProperty(k, v) { this.map.set(k, String(v)); return this; }
  setProperties(o) { for (const [k, v] of Object.entries(o)) this.map.set(k, String(v)); return this; }
  deleteProperty(k) { this.map.delete(k); return this; }
  getProperties() { return Object.fromEntries(this.map); }
}

class Cache {
  constructor(world) { this.world = world; this.map = new Map(); }
  get(k) {
    const hit = this.map.get(k);
    if (!hit || hit.until <= this.world.now()) return null;
    return hit.value;
  }
  put(k, v, seconds = 600) {
    this.world.cachePuts++;
    this.map.set(k, { value: String(v), until: this.world.now() + Math.min(seconds, 21600) * 1000 });
  }
  remove(k) { this.map.delete(k); }
}

/** A document lock shared by every "execution"; a second holder is refused, never blocked. */
class Lock {
  constructor(state) { this.state = state; this.mine = false; }
  tryLock() {
    if (this.state.held) return false;
    this.state.held = true;
    this.mine = true;
    return true;
  }
  waitLock(ms) {
    if (!this.tryLock(ms)) throw new Error('Lock timeout: another process was holding the lock for too long.');
  }
  hasLock() { return this.mine; }
  releaseLock() {
    if (this.mine) {
      this.mine = false;
      this.state.held = false;
    }
  }
}

function response(status, body) {
  return {
    getResponseCode: () => status,
    getContentText: () => body,
    getHeaders: () => ({}),
  };
}

/**
 * A spreadsheet with one prospect tab holding `grid` (header row first), and the services.
 * Returns {ctx (the add-in's globals), world (what happened), sheet, edit(), paste(), select()}.
 */
export function loadAddin({ spreadsheetId = '1TestSpreadsheet000000', tab = 'Prospects', grid, extraTabs = {} } = {}) {
  let clock = Date.now();
  const world = {
    toasts: [],
    fetches: [],
    sleeps: 0,
    cachePuts: 0,
    onSleep: null, // (ms) => void: other executions running while the holder waits
    onFetch: null, // (request) => void: other executions running during the HTTP call
    fakeFetch: null, // (request) => [status, body]: answer without a server
    uuids: [], // IDs getUuid hands out first (to force a replay)
    identityToken: null, // what ScriptApp.getIdentityToken() returns; an Error is thrown
    triggers: [],
    menus: [],
    sidebars: [],
    active: null,
    now: () => clock,
    advance: (ms) => { clock += ms; },
  };
  const sheets = [new Sheet(tab, grid), ...Object.entries(extraTabs).map(([n, g]) => new Sheet(n, g))];
  const spreadsheet = {
    getId: () => spreadsheetId,
    getSheets: () => sheets,
    getSheetByName: (name) => sheets.find((s) => s.name === name) || null,
    getActiveSheet: () => (world.active ? world.active.getSheet() : sheets[0]),
    getActiveRange: () => world.active,
    toast: (message, title, seconds) => { world.toasts.push(String(message)); },
  };
  const ui = {
    createMenu(name) {
      const menu = {
        name,
        items: [],
        addItem(label, fn) { this.items.push([label, fn]); return this; },
        addSeparator() { this.items.push(['-', null]); return this; },
        addToUi() { world.menus.push(this); },
      };
      return menu;
    },
    showSidebar(html) { world.sidebars.push(html); },
  };
  const lockState = { held: false };
  const documentProperties = new Store();
  const documentCache = new Cache(world);
  const services = {
    SpreadsheetApp: { getActive: () => spreadsheet, getActiveSpreadsheet: () => spreadsheet, getUi: () => ui },
    PropertiesService: {
      getDocumentProperties: () => documentProperties,
      getScriptProperties: () => { throw new Error('the add-in keeps its settings in document properties'); },
    },
    CacheService: { getDocumentCache: () => documentCache },
    LockService: { getDocumentLock: () => new Lock(lockState) },
    Utilities: {
      DigestAlgorithm: { SHA_256: 'SHA_256' },
      Charset: { UTF_8: 'UTF_8' },
      computeDigest(algorithm, value, charset) {
        if (algorithm !== 'SHA_256' || charset !== 'UTF_8') throw new Error('double: SHA_256 / UTF_8 only');
        return signed(crypto.createHash('sha256').update(bytesOf(value)).digest());
      },
      computeHmacSha256Signature(value, key, charset) {
        if (charset !== undefined && charset !== 'UTF_8') throw new Error('double: UTF_8 only');
        return signed(crypto.createHmac('sha256', bytesOf(key)).update(bytesOf(value)).digest());
      },
      getUuid: () => (world.uuids.length ? world.uuids.shift() : crypto.randomUUID()),
      sleep(ms) {
        world.sleeps++;
        clock += ms;
        if (world.onSleep) world.onSleep(ms);
      },
      base64Encode: (value) => bytesOf(value).toString('base64'),
    },
    UrlFetchApp: {
      fetch(url, options = {}) {
        const headers = { ...(options.headers || {}) };
        if (options.contentType) headers['Content-Type'] = options.contentType;
        const request = { url, method: String(options.method || 'get').toUpperCase(), headers, body: options.payload };
        world.fetches.push(request);
        if (world.onFetch) world.onFetch(request);
        if (world.fakeFetch) return response(...world.fakeFetch(request));
        const out = execFileSync(process.execPath, ['-e', FETCH_CHILD], { input: JSON.stringify(request), timeout: 30000 });
        const answer = JSON.parse(out.toString('utf8'));
        if (answer.error) throw new Error('Exception: Address unavailable: ' + url);
        if (!options.muteHttpExceptions && answer.status >= 400) {
          throw new Error('Exception: Request failed for ' + url + ' returned code ' + answer.status);
        }
        return response(answer.status, answer.body);
      },
    },
    HtmlService: {
      createHtmlOutputFromFile(name) {
        const content = fs.readFileSync(path.join(PROJECT, name + '.html'), 'utf8');
        return { title: '', content, setTitle(t) { this.title = t; return this; }, getContent() { return this.content; } };
      },
    },
    ScriptApp: {
      getIdentityToken() {
        if (world.identityToken instanceof Error) throw world.identityToken;
        return world.identityToken;
      },
      getUserTriggers: () => world.triggers.slice(),
      newTrigger(fn) {
        const spec = { fn };
        const builder = {
          forSpreadsheet(ss) { spec.spreadsheet = ss.getId(); return builder; },
          onEdit() { spec.event = 'ON_EDIT'; return builder; },
          create() {
            const trigger = { getHandlerFunction: () => spec.fn, getEventType: () => spec.event, spec };
            world.triggers.push(trigger);
            return trigger;
          },
        };
        return builder;
      },
    },
    console,
  };
  const ctx = vm.createContext(services);
  for (const file of SOURCES) {
    vm.runInContext(fs.readFileSync(path.join(PROJECT, file), 'utf8'), ctx, { filename: file });
  }
  const sheet = sheets[0];
  return {
    ctx,
    world,
    sheet,
    sheets,
    properties: documentProperties,
    /** A person types `value` into one cell; the installable trigger fires. */
    edit(row, col, value, on = sheet) {
      const old = on.getRange(row, col).getValue();
      on.set(row, col, value);
      return ctx.onEditInstalled({ range: on.getRange(row, col), value, oldValue: old, source: spreadsheet });
    },
    /** A person pastes a block at (row, col): one event, no e.value. */
    paste(row, col, block, on = sheet) {
      const range = on.getRange(row, col, block.length, block[0].length).setValues(block);
      return ctx.onEditInstalled({ range, source: spreadsheet });
    },
    select(row, col, rows = 1, cols = 1, on = sheet) {
      world.active = on.getRange(row, col, rows, cols);
    },
    configure(url, secret) {
      return ctx.leadsSaveSettings({ url, secret });
    },
  };
}
