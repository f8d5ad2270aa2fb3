/**
 * Text from elsewhere (remote command output, error messages quoting it) made safe to show on a terminal: every
 * control character except newline and tab (ESC and so escape sequences, CR, BEL, backspace, DEL, the C1 controls)
 * is shown escaped as \xNN, so remote output can neither move the cursor, retitle the window nor hide text.
 * Only what is shown is escaped: the host logs keep the raw bytes.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
