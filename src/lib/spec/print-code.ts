// The single-page edition prints its code without token colours. Of its 106,000 elements,
// 61,000 were the spans that colour single tokens (2 MB of its 5.8 MB): a phone laid them all
// out, and an accessibility checker visiting each took a minute (Lighthouse's gave up). On paper
// colours add little (VIRTIO's own PDF prints its listings plain), and every chapter page keeps
// them. Lines keep their spans: the print stylesheet hangs wrapped lines by them.

/** A token's colour span: its classes are highlight classes (one or more), and it holds only text. */
const TOKEN = /<span class="hl-[a-z-]+(?: hl-[a-z-]+)*">([^<]*)<\/span>/g;

/** `html` with every token colour span replaced by its text. */
export function plainCode(html: string): string {
  return html.replace(TOKEN, '$1');
}
