// While a case is being restored, fetch its page again every few seconds and show the new
// status in place (a role="status" region, so screen readers hear it). Without scripts the
// page says to reload it.
const watched = document.querySelector('[data-watch-status]')
const EVERY_MS = 3000
// The status that is still changing: a restore's, or another (a bundle's "building") the page names.
const busy = (watched && watched.dataset.watchWhile) || 'restoring'

async function poll () {
  const answer = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
  if (!answer.ok) return
  const fresh = new DOMParser().parseFromString(await answer.text(), 'text/html').querySelector('[data-watch-status]')
  if (!fresh) return
  if (fresh.dataset.watchStatus !== watched.dataset.watchStatus && 'watchReload' in watched.dataset) {
    window.location.reload() // what the page offers next (a bundle's index, its approval) lies outside the region
    return
  }
  if (fresh.dataset.watchStatus !== watched.dataset.watchStatus || fresh.textContent !== watched.textContent) {
    watched.replaceChildren(...fresh.childNodes)
    watched.dataset.watchStatus = fresh.dataset.watchStatus
  }
  if (watched.dataset.watchStatus === busy) window.setTimeout(poll, EVERY_MS)
}

if (watched && watched.dataset.watchStatus === busy) window.setTimeout(poll, EVERY_MS)
