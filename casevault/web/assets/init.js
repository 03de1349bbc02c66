// Starts govuk-frontend's components (error summary focus, menus). Every page works without it.
import { initAll } from './govuk-frontend.min.js'

initAll()
