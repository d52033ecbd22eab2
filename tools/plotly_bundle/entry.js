'use strict';
// plotly.js with only the trace types the weekly report draws (scatter comes with the core).
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/funnel'),
]);

module.exports = Plotly;
