// Site-wide settings. The repository URL feeds the edit-this-page and view-source links;
// set AVP_REPO_URL when building a fork so its links point at the fork.
export const site = {
  title: 'Automotive Virtual Platform',
  shortTitle: 'AVP',
  edition: 'Working draft',
  virtioVersion: 'VIRTIO 1.4 (CS01, 8 April 2026)',
  repoUrl: (typeof process !== 'undefined' && process.env.AVP_REPO_URL) || 'https://github.com/avp-spec/avp',
  branch: 'main',
};

export const blobUrl = (file: string, lines?: [number, number]) =>
  `${site.repoUrl}/blob/${site.branch}/${file}` + (lines ? `#L${lines[0]}-L${lines[1]}` : '');

export const editUrl = (file: string) => `${site.repoUrl}/edit/${site.branch}/${file}`;
