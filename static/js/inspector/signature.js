// A signature pad on <canvas> driven by pointer events (finger, stylus or mouse). It keeps the
// strokes, so when the pad changes size (the phone turned to landscape for a wider pad) they are
// drawn again to fit, and it measures the ink on the canvas itself, the very pixels the PNG
// keeps, so a blank or accidental one-dot pad can be refused.

const MIN_INK = 60; // CSS pixels of stroke length: a dot or a tap is not a signature
const LINE_WIDTH = 2.6;

export class SignaturePad {
  constructor(canvas, { onChange } = {}) {
    this.canvas = canvas;
    this.onChange = onChange;
    // Each stroke: its points in CSS pixels at scale 1, and how far the pad reached when it was
    // drawn (a finger running off the pad does not count as where the signature reaches).
    // Shown at `scale`: 1 unless the pad became too small for them.
    this.strokes = [];
    this.scale = 1;
    this.drawing = false;
    this.ctx = canvas.getContext('2d');
    this.size = null;
    this.resize();
    canvas.style.touchAction = 'none'; // the finger draws instead of scrolling the page
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const t of ['pointerup', 'pointercancel', 'pointerleave']) canvas.addEventListener(t, () => this.up());
    // The bitmap was sized once, so after the phone rotated the canvas was stretched by CSS and
    // strokes beyond the old width fell outside it: a signature drawn in landscape was saved
    // clipped or blank. A ResizeObserver sees rotation and any other layout change alike.
    if (typeof ResizeObserver === 'function') {
      this.observer = new ResizeObserver(() => this.refit());
      this.observer.observe(canvas);
    } else {
      this.onResize = () => this.refit();
      addEventListener('resize', this.onResize);
      addEventListener('orientationchange', this.onResize);
    }
  }

  // The pad on screen now: its CSS size, or null when it is not laid out (hidden, removed).
  measure() {
    const rect = this.canvas.getBoundingClientRect();
    return rect.width && rect.height ? { width: rect.width, height: rect.height } : null;
  }

  resize() {
    const size = this.measure() || { width: 320, height: 160 };
    const ratio = Math.max(1, Math.min(2, devicePixelRatio || 1));
    this.ratio = ratio;
    this.canvas.width = Math.round(size.width * ratio);
    this.canvas.height = Math.round(size.height * ratio);
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.ctx.lineWidth = LINE_WIDTH;
    this.ctx.lineCap = 'round';
    this.ctx.lineJoin = 'round';
    this.ctx.strokeStyle = '#111';
    this.ctx.fillStyle = '#111';
    this.size = size;
  }

  // New size: a new bitmap, and the kept strokes drawn again, shrunk alike in both directions
  // (a signature's shape must not be stretched) only as far as they need to fit; always from
  // the points as drawn, so turning the phone there and back gives the signature back unchanged.
  refit() {
    if (!this.canvas.isConnected) { this.stop(); return; }
    const now = this.measure();
    if (!now || (Math.abs(now.width - this.size.width) < 1 && Math.abs(now.height - this.size.height) < 1)) return;
    let right = 1;
    let bottom = 1;
    for (const s of this.strokes) {
      for (const [x, y] of s.points) {
        right = Math.max(right, Math.min(x, s.reach[0]));
        bottom = Math.max(bottom, Math.min(y, s.reach[1]));
      }
    }
    const edge = LINE_WIDTH; // the line's own width beyond its last point
    this.scale = Math.min(1, now.width / (right + edge), now.height / (bottom + edge));
    this.resize();
    const shown = (points) => points.map(([x, y]) => [x * this.scale, y * this.scale]);
    for (const s of this.strokes) this.drawStroke(shown(s.points));
    if (this.drawing) this.last = shown(this.strokes[this.strokes.length - 1].points).pop();
  }

  stop() {
    this.observer?.disconnect();
    if (this.onResize) {
      removeEventListener('resize', this.onResize);
      removeEventListener('orientationchange', this.onResize);
    }
  }

  drawDot([x, y]) {
    this.ctx.beginPath();
    this.ctx.arc(x, y, 1.2, 0, Math.PI * 2);
    this.ctx.fill();
  }

  drawLine(a, b) {
    this.ctx.beginPath();
    this.ctx.moveTo(a[0], a[1]);
    this.ctx.lineTo(b[0], b[1]);
    this.ctx.stroke();
  }

  drawStroke(s) {
    this.drawDot(s[0]);
    for (let i = 1; i < s.length; i++) this.drawLine(s[i - 1], s[i]);
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  down(e) {
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.drawing = true;
    this.last = this.point(e);
    this.strokes.push({ points: [this.kept(this.last)], reach: [this.size.width / this.scale, this.size.height / this.scale] });
    this.drawDot(this.last);
  }

  kept([x, y]) {
    return [x / this.scale, y / this.scale];
  }

  move(e) {
    if (!this.drawing) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    const stroke = this.strokes[this.strokes.length - 1];
    for (const ev of events.length ? events : [e]) {
      const p = this.point(ev);
      this.drawLine(this.last, p);
      stroke.points.push(this.kept(p));
      this.last = p;
    }
  }

  up() {
    if (!this.drawing) return;
    this.drawing = false;
    this.onChange?.(this);
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokes = [];
    this.scale = 1;
    this.onChange?.(this);
  }

  // The ink on the canvas, in CSS pixels of stroke length: inked device pixels over the
  // stroke's width. Not the length the finger travelled: a stroke that ran off the pad, or one
  // drawn before a resize left it outside, counts only for what the PNG will hold.
  inkLength() {
    const { width, height } = this.canvas;
    if (!width || !height) return 0;
    const data = this.ctx.getImageData(0, 0, width, height).data;
    let inked = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 127) inked++;
    return inked / (LINE_WIDTH * this.ratio * this.ratio);
  }

  isBlank() {
    return this.inkLength() < MIN_INK;
  }

  // White background PNG, so the signature is visible on any viewer and in the PDF.
  toDataURL() {
    const out = document.createElement('canvas');
    out.width = this.canvas.width;
    out.height = this.canvas.height;
    const ctx = out.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(this.canvas, 0, 0);
    return out.toDataURL('image/png');
  }
}
