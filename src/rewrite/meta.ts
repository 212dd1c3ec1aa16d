// `<meta http-equiv content>`: the kinds whose content holds URLs, shared by both HTML rewriters.
import { mapCsp } from './csp.ts';
import { mapRefresh, type LinkTable } from './links.ts';

/** The content mapped as its http-equiv says; null when it is another kind or nothing changes. */
export function mapMetaContent(httpEquiv: string, content: string, base: URL, table: LinkTable): string | null {
  const kind = httpEquiv.trim().toLowerCase();
  if (kind === 'refresh') return mapRefresh(content, base, table);
  return kind === 'content-security-policy' ? mapCsp(content, base, table) : null;
}
