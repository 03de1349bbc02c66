// The case page's document tags kept current without reloading: while any document is
// queued or being read, ask the case's status route (ids and statuses only) every few
// seconds and update the tags; a screen reader hears each change. Without this script
// the page has a link to refresh it.
const table = document.querySelector('[data-document-status]')
const WAITING = ['queued', 'processing']
const EVERY_MS = 3000

function update (labels, announcer, documents) {
  let waiting = false
  for (const { id, status } of documents) {
    const tag = table.querySelector(`[data-document-id="${id}"]`)
    const label = labels[status]
    if (tag && label && tag.textContent !== label[0]) {
      tag.textContent = label[0]
      tag.className = `govuk-tag ${label[1]}`
      const name = tag.closest('tr')?.querySelector('a')?.textContent ?? 'A document'
      announcer.textContent = `${name}: ${label[0]}`
    }
    waiting ||= WAITING.includes(status)
  }
  return waiting
}

async function poll (url, labels, announcer) {
  try {
    const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    if (!response.ok || !response.headers.get('content-type')?.includes('application/json')) {
      return // signed out, or the case is gone: the refresh link still works
    }
    const { documents } = await response.json()
    if (!update(labels, announcer, documents)) {
      return
    }
  } catch {
    // the network dropped: try again on the next round
  }
  setTimeout(() => poll(url, labels, announcer), EVERY_MS)
}

if (table) {
  const labels = JSON.parse(table.dataset.statusLabels)
  const announcer = table.querySelector('[data-status-announcer]')
  const tags = [...table.querySelectorAll('[data-document-id]')]
  const waitingLabels = WAITING.map((status) => labels[status][0])
  if (tags.some((tag) => waitingLabels.includes(tag.textContent))) {
    setTimeout(() => poll(table.dataset.documentStatus, labels, announcer), EVERY_MS)
  }
}
