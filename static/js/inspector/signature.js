// A signature pad on <canvas> driven by pointer events (finger, stylus or mouse). It measures
// the ink drawn, so a blank or accidental one-dot pad can be refused.

const MIN_INK = 60; // CSS pixels of stroke length: a dot or a tap is not a signature

export class SignaturePad {
  constructor(canvas, { onChange } = {}) {
    this.canvas = canvas;
    this.onChange = onChange;
    this.ink = 0;
    this.drawing = false;
    this.ctx = canvas.getContext('2d');
    this.resize();
    canvas.style.touchAction = 'none'; // the finger draws instead of scrolling the page
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const t of ['pointerup', 'pointercancel', 'pointerleave']) canvas.addEventListener(t, () => this.up());
  }

  resize() {
    const ratio = Math.max(1, Math.min(2, devicePixelRatio || 1));
    const rect = this.canvas.getBoundingClientRect();
    this.canvas.width = Math.round((rect.width || 320) * ratio);
    this.canvas.height = Math.round((rect.height || 160) * ratio);
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.ctx.lineWidth = 2.6;
    this.ctx.lineCap = 'round';
    this.ctx.lineJoin = 'round';
    this.ctx.strokeStyle = '#111';
    this.ink = 0;
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
    this.ctx.beginPath();
    this.ctx.arc(this.last[0], this.last[1], 1.2, 0, Math.PI * 2);
    this.ctx.fillStyle = '#111';
    this.ctx.fill();
  }

  move(e) {
    if (!this.drawing) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) {
      const p = this.point(ev);
      this.ctx.beginPath();
      this.ctx.moveTo(this.last[0], this.last[1]);
      this.ctx.lineTo(p[0], p[1]);
      this.ctx.stroke();
      this.ink += Math.hypot(p[0] - this.last[0], p[1] - this.last[1]);
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
    this.ink = 0;
    this.onChange?.(this);
  }

  isBlank() {
    return this.ink < MIN_INK;
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
