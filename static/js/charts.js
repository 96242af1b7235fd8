/* Charts with Apache ECharts (static/vendor/echarts), no build step and no inline
 * script: a chart is an element <div class="chart" data-chart="ID"> next to the
 * figures it draws, put out by Django's json_script as <script type="application/json"
 * id="ID"> (pension/charts.py makes the figures; templates/pension/chart.html puts
 * both out). Amounts arrive as strings of exact decimals; they are turned into
 * numbers here only to draw them, and labels show the exact string.
 *
 * Figures: {kind: "bar"|"line"|"stacked", title, categories: [...],
 *           series: [{name, values: ["1234.56", ...]}], unit, money}
 */
(function () {
  "use strict";

  function formatMoney(text) {
    var negative = text.charAt(0) === "-";
    var parts = (negative ? text.slice(1) : text).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + whole + (parts.length > 1 ? "." + parts[1] : "");
  }

  function option(figures) {
    var stacked = figures.kind === "stacked";
    var type = figures.kind === "line" ? "line" : "bar";
    return {
      animation: false,
      title: figures.title ? { text: figures.title, left: "center", textStyle: { fontSize: 14 } } : undefined,
      tooltip: {
        trigger: "axis",
        valueFormatter: function (value) {
          return figures.money ? formatMoney(Number(value).toFixed(2)) : String(value);
        }
      },
      legend: figures.series.length > 1 ? { bottom: 0 } : undefined,
      grid: { left: 12, right: 12, top: figures.title ? 36 : 12, bottom: figures.series.length > 1 ? 36 : 12, containLabel: true },
      xAxis: { type: "category", data: figures.categories, axisLabel: { interval: 0, rotate: figures.categories.length > 8 ? 30 : 0 } },
      yAxis: {
        type: "value",
        name: figures.unit || "",
        axisLabel: { formatter: function (value) { return figures.money ? formatMoney(String(value)) : String(value); } }
      },
      series: figures.series.map(function (serie) {
        return {
          name: serie.name,
          type: type,
          stack: stacked ? "total" : undefined,
          data: serie.values.map(Number)
        };
      })
    };
  }

  function draw(element) {
    if (element.dataset.chartDrawn) { return; }
    var source = document.getElementById(element.dataset.chart);
    if (!source || typeof echarts === "undefined") { return; }
    var figures = JSON.parse(source.textContent);
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option(figures));
    element.dataset.chartDrawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var loading = null;
  var self = document.currentScript;

  // ECharts (1 MB) is loaded only by pages that have a chart.
  function withEcharts(callback) {
    if (typeof echarts !== "undefined") { callback(); return; }
    if (!loading) {
      loading = document.createElement("script");
      loading.src = self.dataset.echarts;
      document.head.appendChild(loading);
    }
    loading.addEventListener("load", callback);
  }

  function drawAll(root) {
    var elements = (root || document).querySelectorAll("[data-chart]");
    if (elements.length) {
      withEcharts(function () { elements.forEach(draw); });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  // pages that refresh a part with htmx (run pages) draw the charts it brings
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
}());
