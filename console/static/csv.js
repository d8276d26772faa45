// CSV of access records, made in the browser from the paged accessLogs results (RFC 4180: every
// field quoted, quotes doubled, CRLF between records). A field that starts with = + - @ (or a tab
// or CR) is prefixed with a quote mark so a spreadsheet never runs it as a formula (OWASP CSV
// injection): user agents and operation names are caller-chosen text.
//
// NOTE for the lead: once the audit export endpoint (/audit/export, CSV and NDJSON, built on
// another branch) is merged, the console's "Export CSV" can fetch it instead of paging here.

export const CSV_COLUMNS = [
  'time', 'id', 'requestId', 'decision', 'httpStatus', 'errorCodes', 'reasons', 'productId', 'productVersion', 'developerId',
  'sub', 'org', 'roles', 'jti', 'operationName', 'operationType', 'documentHash', 'coordinates', 'services', 'clientDigests',
  'subgraphs', 'latencyMs', 'clientIp', 'userAgent', 'traceId', 'instanceId', 'chainId', 'seq', 'prevHash', 'hash',
];

function cell(value) {
  let text;
  if (value === null || value === undefined) text = '';
  else if (Array.isArray(value)) text = value.map((v) => (typeof v === 'object' && v !== null ? (v.coordinate ? `${v.code}@${v.coordinate}` : v.code) : String(v))).join(' ');
  else text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvOf(records) {
  const lines = [CSV_COLUMNS.map((c) => `"${c}"`).join(',')];
  for (const r of records) lines.push(CSV_COLUMNS.map((c) => cell(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
