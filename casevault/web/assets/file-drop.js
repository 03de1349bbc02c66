// Files dropped on the case page's upload field become its chosen files, as if picked with
// its button; the form is still sent by the person. The real <input type="file" multiple>
// stays as it is, so the page works the same without this script.
const group = document.querySelector('[data-file-drop]')
const input = group?.querySelector('input[type="file"]')

if (group && input) {
  const announcer = document.createElement('p')
  announcer.className = 'govuk-visually-hidden'
  announcer.setAttribute('aria-live', 'polite')
  group.append(announcer)
  group.addEventListener('dragover', (event) => {
    if (event.dataTransfer?.types.includes('Files')) {
      event.preventDefault() // lets the files drop here rather than open in the browser
      event.dataTransfer.dropEffect = 'copy'
    }
  })
  group.addEventListener('drop', (event) => {
    if (!event.dataTransfer?.files.length) {
      return
    }
    event.preventDefault()
    input.files = event.dataTransfer.files
    input.dispatchEvent(new Event('change', { bubbles: true }))
    const count = input.files.length
    announcer.textContent = `${count} ${count === 1 ? 'file' : 'files'} chosen`
  })
}
