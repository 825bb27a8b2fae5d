// The loss chart (chart.js, only the parts a line chart needs): the training loss of every
// batch, its running mean, and the validation loss after each training round, against the
// batch number.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartDataset } from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

type Point = { x: number; y: number };

export class LossChart {
  private readonly chart: Chart<'line', Point[]>;
  private readonly batch: Point[] = [];
  private readonly smooth: Point[] = [];
  private readonly validation: Point[] = [];
  /** Exponential moving average of the batch losses (decay 0.9) and its bias correction. */
  private ema = 0;
  private weight = 0;

  constructor(canvas: HTMLCanvasElement) {
    const line = (label: string, data: Point[], color: string, extra: Partial<ChartDataset<'line', Point[]>> = {}): ChartDataset<'line', Point[]> => ({
      label,
      data,
      borderColor: color,
      backgroundColor: color,
      borderWidth: 1.5,
      pointRadius: 0,
      ...extra,
    });
    this.chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: {
        datasets: [
          line('loss per batch', this.batch, 'rgba(70, 130, 180, 0.35)', { borderWidth: 1 }),
          line('running mean', this.smooth, '#1f5f99', { borderWidth: 2 }),
          line('validation loss', this.validation, '#d2691e', { borderWidth: 2, pointRadius: 3 }),
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false, axis: 'x' },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'batch' }, ticks: { precision: 0 } },
          y: { type: 'linear', title: { display: true, text: 'cross-entropy (nats / char)' } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      },
    });
  }

  addBatch(batch: number, loss: number): void {
    this.ema = 0.9 * this.ema + 0.1 * loss;
    this.weight = 0.9 * this.weight + 0.1;
    this.batch.push({ x: batch, y: loss });
    this.smooth.push({ x: batch, y: this.ema / this.weight });
  }

  addValidation(batch: number, loss: number): void {
    this.validation.push({ x: batch, y: loss });
  }

  clear(): void {
    this.batch.length = 0;
    this.smooth.length = 0;
    this.validation.length = 0;
    this.ema = 0;
    this.weight = 0;
    this.draw();
  }

  draw(): void {
    this.chart.update('none');
  }
}
