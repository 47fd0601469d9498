// dashboard/lib/render.js — the Settings → Audit Log page as HTML, from plain data.
//
// No template engine: a handful of functions, every interpolated value
// passed through esc(). The page works without JavaScript; the script only
// adds the viewer's time zone and submits the filters as they change.

import { filterPairs, queryString, OUTCOMES } from './filters.js';

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value) {
    return String(value ?? '').replace(/[&<>"']/g, c => ESC[c]);
}

// Avatar colours for named users; green is system's alone.
const AVATAR_COLOURS = 8;

function avatarColour(name) {
    let h = 0;
    for (const ch of name)
        h = (h * 31 + ch.codePointAt(0)) >>> 0;
    return h % AVATAR_COLOURS;
}

export function formatCount(n) {
    const s = BigInt(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return `${s} ${BigInt(n) === 1n ? 'event' : 'events'}`;
}

// A resource id as the seed shows it: its start, then an ellipsis.
// (by code points: an emoji is never cut in half)
function shortId(id) {
    const chars = [...id];
    return chars.length > 17 ? `${chars.slice(0, 14).join('')}...` : id;
}

function userCell(row) {
    if (row.actor === 'system')
        return `<span class="avatar avatar-system" title="Automated system action">S</span>`
            + `<span class="user-name">system</span>`;
    const initials = row.initials || '?';
    return `<span class="avatar avatar-${avatarColour(row.actor)}" aria-hidden="true">${esc(initials)}</span>`
        + `<span class="user-name">${esc(row.actor)}</span>`;
}

function resourceCell(row) {
    if (row.resource_id === null && row.resource_type === null)
        return '<span class="none">—</span>';
    const id = row.resource_id === null ? '' :
        `<span class="resource-id" title="${esc(row.resource_id)}">${esc(shortId(row.resource_id))}</span> `;
    const type = row.resource_type === null ? '' : `<span class="resource-type">(${esc(row.resource_type)})</span>`;
    return id + type;
}

function eventRow(row) {
    return `<tr data-id="${esc(row.id)}">`
        + `<td class="time"><time datetime="${esc(row.occurred_at)}" title="${esc(row.occurred_at)}">${esc(row.time_label)}</time></td>`
        + `<td class="user">${userCell(row)}</td>`
        + `<td class="action"><code>${esc(row.action)}</code></td>`
        + `<td class="resource">${resourceCell(row)}</td>`
        + `<td class="outcome"><span class="badge badge-${esc(row.outcome)}">${esc(row.outcome_label)}</span></td>`
        + '</tr>';
}

function option(value, label, selected, title) {
    return `<option value="${esc(value)}"${selected ? ' selected' : ''}${title ? ` title="${esc(title)}"` : ''}>`
        + `${esc(label)}</option>`;
}

// A select of simple choices; a current value the list lacks (an actor that
// has no events, from a shared link) is kept as a choice of its own.
function simpleSelect(name, id, allLabel, choices, current) {
    const values = new Set(choices.map(c => c.value));
    let html = `<select name="${name}" id="${id}">` + option('', allLabel, !current);
    if (current && !values.has(current))
        html += option(current, current, true);
    for (const c of choices)
        html += option(c.value, c.label, c.value === current);
    return html + '</select>';
}

// The actions grouped by category, each group led by its category filter
// ("credential.*"), as search() takes them.
function actionSelect(choices, current) {
    const groups = new Map();
    for (const c of choices) {
        const cat = c.value.split('.')[0];
        if (!groups.has(cat))
            groups.set(cat, []);
        groups.get(cat).push(c);
    }
    const known = new Set(choices.map(c => c.value));
    for (const cat of groups.keys())
        known.add(`${cat}.*`);
    let html = '<select name="action" id="f-action">' + option('', 'All Actions', !current);
    if (current && !known.has(current))
        html += option(current, current, true);
    for (const [cat, list] of groups) {
        html += `<optgroup label="${esc(cat)}">`;
        html += option(`${cat}.*`, `${cat}.* (all ${cat} actions)`, current === `${cat}.*`);
        for (const c of list)
            html += option(c.value, c.value, c.value === current, c.label !== c.value ? c.label : null);
        html += '</optgroup>';
    }
    return html + '</select>';
}

// The export buttons: the current filters, as a file.
function exportLinks(raw, tzParam) {
    const q = queryString(filterPairs(raw, [['tz', tzParam]]));
    return `<a class="button secondary" id="export-csv" href="/export.csv${q}" download>Export CSV</a>
    <a class="button secondary" id="export-ndjson" href="/export.ndjson${q}" download>Export NDJSON</a>`;
}

function filtersForm(raw, options, tzParam) {
    const outcomes = OUTCOMES.map(o => ({ value: o, label: o[0].toUpperCase() + o.slice(1) }));
    const outcomeValue = OUTCOMES.includes(raw.outcome.toLowerCase()) ? raw.outcome.toLowerCase() : raw.outcome;
    return `<form class="filters" id="filters" method="get" action="/">
  <label class="field"><span class="sr-only">User</span>${simpleSelect('actor', 'f-actor', 'All Users', options.actor, raw.actor)}</label>
  <label class="field"><span class="sr-only">Action</span>${actionSelect(options.action, raw.action)}</label>
  <label class="field"><span class="sr-only">Resource type</span>${simpleSelect('type', 'f-type', 'All Types', options.resource_type, raw.type)}</label>
  <label class="field date"><span>From</span><input name="from" id="f-from" value="${esc(raw.from)}" placeholder="dd/mm/yyyy" inputmode="numeric" autocomplete="off" size="10"></label>
  <label class="field date"><span>To</span><input name="to" id="f-to" value="${esc(raw.to)}" placeholder="dd/mm/yyyy" inputmode="numeric" autocomplete="off" size="10"></label>
  <label class="field"><span class="sr-only">Outcome</span>${simpleSelect('outcome', 'f-outcome', 'All Outcomes', outcomes, outcomeValue)}</label>
  ${tzParam ? `<input type="hidden" name="tz" value="${esc(tzParam)}">` : ''}
  <button type="submit" class="button">Apply</button>
  <a class="reset" href="/${tzParam ? queryString([['tz', tzParam]]) : ''}">Clear</a>
</form>`;
}

// The whole page. data: { raw, options, page: {rows,total,hasOlder}|null,
// errors: [], notices: [], timeZone, tzParam, newestLink }.
export function renderPage(data) {
    const { raw, options, page, errors, notices, timeZone, tzParam } = data;
    const count = page ? `<p class="count" id="event-count" data-count="${page.total}">${esc(formatCount(page.total))}</p>` : '';
    let body = '';
    if (errors.length) {
        body += `<div class="message error" id="error" role="alert">${errors.map(e => `<p>${esc(e)}</p>`).join('')}</div>`;
    }
    if (notices.length)
        body += `<div class="message notice" id="notice">${notices.map(e => `<p>${esc(e)}</p>`).join('')}</div>`;
    if (page) {
        body += `<table class="events" id="events">
  <thead><tr><th scope="col">TIMESTAMP</th><th scope="col">USER</th><th scope="col">ACTION</th><th scope="col">RESOURCE</th><th scope="col">OUTCOME</th></tr></thead>
  <tbody>${page.rows.map(eventRow).join('\n')}</tbody>
</table>`;
        if (page.rows.length === 0)
            body += `<p class="empty" id="empty">${raw.before_id ? 'No older events.' : 'No events match these filters.'}</p>`;
        const links = [];
        if (raw.before_id)
            links.push(`<a class="button secondary" id="newest" href="/${queryString(filterPairs(raw, [['tz', tzParam]]))}">Newest</a>`);
        if (page.hasOlder) {
            const last = page.rows[page.rows.length - 1].id;
            links.push(`<a class="button secondary" id="older" rel="next" href="/${queryString(filterPairs(raw, [['before_id', last], ['tz', tzParam]]))}">Older</a>`);
        }
        if (links.length)
            body += `<nav class="pager" aria-label="Pages">${links.join(' ')}</nav>`;
    }
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Audit Log</title>
<link rel="stylesheet" href="/static/dashboard.css">
<script src="/static/dashboard.js" defer></script>
</head>
<body data-time-zone="${esc(timeZone ?? '')}">
<main class="page">
<nav class="crumbs" aria-label="Breadcrumb">Settings <span aria-hidden="true">→</span> Audit Log</nav>
<header class="head">
  <div>
    <h1>Audit Log</h1>
    <p class="lede">Tracks all actions across your organization.</p>
  </div>
  <div class="tools">
    ${count}
    ${exportLinks(raw, tzParam)}
  </div>
</header>
${filtersForm(raw, options, tzParam)}
${body}
<footer class="foot">${timeZone ? `Times in <span id="time-zone">${esc(timeZone)}</span>.` : ''}</footer>
</main>
</body>
</html>
`;
}

// A page for what is no audit log page (404, 405, 5xx): a message only.
export function renderMessage(title, message) {
    return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${esc(title)}</title><link rel="stylesheet" href="/static/dashboard.css"></head>
<body><main class="page"><h1>${esc(title)}</h1><div class="message error" id="error" role="alert"><p>${esc(message)}</p></div>
<p><a href="/">Audit Log</a></p></main></body>
</html>
`;
}
