// Streamlit's component protocol (API version 1), spoken directly: announce readiness, draw the
// figure (Plotly JSON) of every render message, then report the frame's height: the figure's own.
const send = (type, data) => window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");

window.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "streamlit:render") return;
  const spec = JSON.parse(event.data.args.figure);
  const height = spec.layout.height || 450;
  const layout = { ...spec.layout, height, autosize: true };
  Plotly.react("chart", spec.data, layout, { responsive: true, displaylogo: false })
    .then(() => send("streamlit:setFrameHeight", { height }));
});

send("streamlit:componentReady", { apiVersion: 1 });
