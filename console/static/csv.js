// The access-log CSV the console saves comes from the gateway's POST /audit/export (RFC 4180: fields
// quoted when they hold a quote, comma or line break; CRLF between records). This counts its
// records for the page to say how many were exported: line breaks inside quoted fields do not
// end a record, and the header line is not one.
export function csvRecordCount(text) {
  let records = 0;
  let quoted = false;
  let empty = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\n' && !quoted) {
      if (!empty) records++;
      empty = true;
      continue;
    }
    if (ch !== '\r') empty = false;
  }
  if (!empty) records++;
  return Math.max(0, records - 1);
}
