// The redaction page: drag a rectangle on the page image to fill the rectangle form's
// fields (percent of the page from its top left). Without this script the manager types
// them; the form and the server's checks are the same either way.
const frame = document.querySelector('[data-redact-image]')
const image = frame?.querySelector('img')
const fields = {}
for (const input of document.querySelectorAll('[data-redact-field]')) {
  fields[input.dataset.redactField] = input
}

function percent (value) {
  return String(Math.round(Math.min(Math.max(value, 0), 100) * 10) / 10)
}

if (frame && image && fields.left && fields.top && fields.width && fields.height) {
  frame.classList.add('cv-redact-image--drag')
  const box = document.createElement('div')
  box.className = 'cv-redact-image__box'
  box.hidden = true
  frame.appendChild(box)
  let start = null

  const at = (event) => {
    const rect = image.getBoundingClientRect()
    return {
      x: Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1),
      y: Math.min(Math.max((event.clientY - rect.top) / rect.height, 0), 1)
    }
  }
  const show = (a, b) => {
    const left = Math.min(a.x, b.x)
    const top = Math.min(a.y, b.y)
    const width = Math.abs(a.x - b.x)
    const height = Math.abs(a.y - b.y)
    box.hidden = false
    box.style.left = `${left * 100}%`
    box.style.top = `${top * 100}%`
    box.style.width = `${width * 100}%`
    box.style.height = `${height * 100}%`
    return { left, top, width, height }
  }

  image.addEventListener('dragstart', (event) => event.preventDefault())
  frame.addEventListener('pointerdown', (event) => {
    start = at(event)
    frame.setPointerCapture(event.pointerId)
    show(start, start)
  })
  frame.addEventListener('pointermove', (event) => {
    if (start) show(start, at(event))
  })
  frame.addEventListener('pointerup', (event) => {
    if (!start) return
    const region = show(start, at(event))
    start = null
    if (region.width < 0.002 || region.height < 0.002) {
      box.hidden = true
      return
    }
    fields.left.value = percent(region.left * 100)
    fields.top.value = percent(region.top * 100)
    fields.width.value = percent(region.width * 100)
    fields.height.value = percent(region.height * 100)
    fields.left.focus()
  })
}
