// Which edition a component renders for. The single-page edition (/print/) is a document to
// read and print: its examples and visualizers show what the build recorded, without the
// buttons and scripts that make them interactive on the chapter pages.
export const PRINT_PATH = '/print/';

export const isPrintEdition = (url: URL) => url.pathname === PRINT_PATH || url.pathname === '/print';
