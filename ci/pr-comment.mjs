#!/usr/bin/env node
// Posts a Markdown file as the PR's stampede comment, updating the earlier one if there is
// one (found by the marker that `stampede compare` writes first). No npm dependencies.
//
//   node ci/pr-comment.mjs FILE            needs GITHUB_TOKEN, GITHUB_REPOSITORY, PR_NUMBER
//   node ci/pr-comment.mjs FILE --dry-run  prints what it would post
import { readFile } from 'node:fs/promises';

const MARKER = '<!-- stampede-compare -->';
const [file, flag] = process.argv.slice(2);
if (!file) {
  console.error('usage: node ci/pr-comment.mjs FILE [--dry-run]');
  process.exit(2);
}
let body = await readFile(file, 'utf8');
if (!body.startsWith(MARKER)) body = `${MARKER}\n${body}`;
if (flag === '--dry-run') {
  console.log(body);
  process.exit(0);
}
const { GITHUB_TOKEN: token, GITHUB_REPOSITORY: repo, PR_NUMBER: pr } = process.env;
if (!token || !repo || !pr) {
  console.error('GITHUB_TOKEN, GITHUB_REPOSITORY and PR_NUMBER must be set (or use --dry-run)');
  process.exit(2);
}
const api = process.env.GITHUB_API_URL || 'https://api.github.com';
const headers = {
  authorization: `Bearer ${token}`,
  accept: 'application/vnd.github+json',
  'content-type': 'application/json',
};
async function call(method, path, payload) {
  const res = await fetch(`${api}${path}`, { method, headers, body: payload && JSON.stringify(payload) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
// A busy PR has more than one page of comments; the sticky one may be on any of them.
let mine;
for (let page = 1; !mine; page++) {
  const comments = await call('GET', `/repos/${repo}/issues/${pr}/comments?per_page=100&page=${page}`);
  mine = comments.find((c) => typeof c.body === 'string' && c.body.startsWith(MARKER));
  if (comments.length < 100) break;
}
if (mine) {
  await call('PATCH', `/repos/${repo}/issues/comments/${mine.id}`, { body });
  console.log(`updated comment ${mine.id}`);
} else {
  const created = await call('POST', `/repos/${repo}/issues/${pr}/comments`, { body });
  console.log(`created comment ${created.id}`);
}
