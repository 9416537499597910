/**
 * The Decision 766 index as the national portal computes it (../shared/INDEX766.md): its six groups, their
 * components, points, shapes, zero-denominator rules and rounding. Weights, thresholds and rounding live
 * here and nowhere else; the pure scoring (score.ts) and its SQL twin (score.sql.ts) read them.
 *
 * Long file: most of it is COMPONENTS, the data table of the index (one entry per component, as the portal
 * publishes them); one table keeps each weight next to its rule and the points adding up to 100 in view.
 */

export type GroupId =
  | 'transparency'
  | 'progress'
  | 'online_service'
  | 'online_payment'
  | 'satisfaction'
  | 'digitization';

/**
 * How a group rounds its components' scores (fitted on one province's published month):
 * - `exact`: the score of the exact ratio, rounded to two decimals, ties up;
 * - `percent_first`: the ratio first as a percentage with two decimals, then each part rounded on its
 *   double-precision value as JavaScript's toFixed does (online payment, 163 of 163 units).
 */
export type Rounding = 'exact' | 'percent_first';

/** What a zero denominator scores: 0, the full points (no petitions), or NULL (counted as 0 in the group). */
export type ZeroDenominator = 'zero' | 'full' | 'null';

/**
 * Where a component's numbers come from: the dossiers, the procedure catalog (at the period's end), or
 * figures published elsewhere and loaded by an operator (index766-external topic / CLI).
 */
export type Source = 'dossier' | 'catalog' | 'external';

/**
 * The `reason` of a component whose data is missing, by source (the analysts' guide names them): the
 * engine writes it to kpi_latest and the TypeScript reference (score.ts) notes it.
 */
export const MISSING_REASON = {
  external: 'no_external_figures',
  catalog: 'no_catalog_data',
  dossier: '',
} as const satisfies Record<Source, string>;

export interface Component {
  /** KPI id, `index766.<group>.<component>` (progress is its own single component). */
  id: string;
  /** The portal's number for it (1.4, 3.2 …); `4.e` for e-certified copies, which has none. */
  code: string;
  group: GroupId;
  points: number;
  /** Full points from this ratio on (`full at t`: score = P × min(1, ratio / t)); 1 for linear. */
  fullAt: { numerator: number; denominator: number };
  zeroDenominator: ZeroDenominator;
  source: Source;
  name: { vi: string; en: string };
  formula: { vi: string; en: string };
}

export interface Group {
  id: GroupId;
  /** KPI id of the group total. */
  kpi: string;
  points: number;
  rounding: Rounding;
  name: { vi: string; en: string };
}

export const TOTAL_KPI = 'index766.total';
export const TOTAL_POINTS = 100;

const linear = { numerator: 1, denominator: 1 };
const fullAt = (percent: number) => ({ numerator: percent, denominator: 100 });

export const GROUPS: readonly Group[] = [
  {
    id: 'transparency',
    kpi: 'index766.transparency',
    points: 18,
    rounding: 'exact',
    name: { vi: 'Công khai, minh bạch', en: 'Transparency' },
  },
  {
    id: 'progress',
    kpi: 'index766.progress',
    points: 20,
    rounding: 'exact',
    name: { vi: 'Tiến độ giải quyết', en: 'Progress' },
  },
  {
    id: 'online_service',
    kpi: 'index766.online_service',
    points: 12,
    rounding: 'exact',
    name: { vi: 'Dịch vụ công trực tuyến', en: 'Online services' },
  },
  {
    id: 'online_payment',
    kpi: 'index766.online_payment',
    points: 10,
    rounding: 'percent_first',
    name: { vi: 'Thanh toán trực tuyến', en: 'Online payment' },
  },
  {
    id: 'satisfaction',
    kpi: 'index766.satisfaction',
    points: 18,
    rounding: 'exact',
    name: { vi: 'Mức độ hài lòng', en: 'Satisfaction' },
  },
  {
    id: 'digitization',
    kpi: 'index766.digitization',
    points: 22,
    rounding: 'exact',
    name: { vi: 'Số hóa hồ sơ', en: 'Digitization' },
  },
];

export const COMPONENTS: readonly Component[] = [
  {
    id: 'index766.transparency.published_on_time',
    code: '1.1',
    group: 'transparency',
    points: 6,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'external',
    name: { vi: 'Công bố TTHC đúng hạn', en: 'Procedures published on time' },
    formula: {
      vi: 'Quyết định công bố đúng hạn / quyết định công bố trong kỳ (số liệu công bố)',
      en: 'publication decisions on time / decisions in the period (published figures)',
    },
  },
  {
    id: 'index766.transparency.publicised_on_time',
    code: '1.2',
    group: 'transparency',
    points: 4,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'external',
    name: { vi: 'Công khai TTHC đúng hạn', en: 'Procedures publicised on time' },
    formula: {
      vi: 'TTHC công khai trên Cổng trong 5 ngày làm việc / TTHC phải công khai (số liệu công bố)',
      en: 'procedures publicised on the portal within 5 working days / procedures to publicise (published figures)',
    },
  },
  {
    id: 'index766.transparency.full_content',
    code: '1.3',
    group: 'transparency',
    points: 2,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'external',
    name: { vi: 'TTHC công khai đầy đủ nội dung', en: 'Procedures with full content' },
    formula: {
      vi: 'TTHC đủ 7 bộ phận / TTHC công khai (số liệu công bố)',
      en: 'procedures with all seven parts / public procedures (published figures)',
    },
  },
  {
    id: 'index766.transparency.synchronised',
    code: '1.4',
    group: 'transparency',
    points: 6,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'dossier',
    name: { vi: 'Hồ sơ đồng bộ lên Cổng DVCQG', en: 'Dossiers synchronised to DVCQG' },
    formula: {
      vi: 'Hồ sơ tiếp nhận trong kỳ đã đồng bộ / max(hồ sơ tiếp nhận, số liệu Hệ thống báo cáo quốc gia)',
      en: 'dossiers received in the period and synchronised / max(received, national reporting figure)',
    },
  },
  {
    id: 'index766.progress',
    code: '2',
    group: 'progress',
    points: 20,
    fullAt: linear,
    zeroDenominator: 'zero',
    source: 'dossier',
    name: { vi: 'Tiến độ giải quyết', en: 'Progress' },
    formula: {
      vi: 'Hồ sơ đúng hạn (kết thúc đúng hạn hoặc chưa quá hạn) / hồ sơ tiếp nhận kết thúc trong kỳ hoặc còn mở',
      en: 'dossiers on time (finished on time or not yet overdue) / received dossiers finished in or open at the end of the period',
    },
  },
  {
    id: 'index766.online_service.procedures_online',
    code: '3.1',
    group: 'online_service',
    points: 2,
    fullAt: fullAt(80),
    zeroDenominator: 'null',
    source: 'catalog',
    name: { vi: 'TTHC cung cấp trực tuyến', en: 'Procedures offered online' },
    formula: {
      vi: 'TTHC cung cấp trực tuyến (một phần, toàn trình) / TTHC thuộc thẩm quyền; đủ điểm từ 80%',
      en: 'procedures offered online (partial or full) / procedures under the unit; full at 80%',
    },
  },
  {
    id: 'index766.online_service.services_used',
    code: '3.2',
    group: 'online_service',
    points: 4,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'catalog',
    name: { vi: 'DVC trực tuyến có phát sinh hồ sơ', en: 'Online services used' },
    formula: {
      vi: 'DVC trực tuyến có hồ sơ tiếp nhận trực tuyến trong kỳ / DVC trực tuyến của đơn vị',
      en: 'online services with a dossier received online in the period / online services of the unit',
    },
  },
  {
    id: 'index766.online_service.online_dossiers',
    code: '3.3',
    group: 'online_service',
    points: 6,
    fullAt: fullAt(50),
    zeroDenominator: 'null',
    source: 'dossier',
    name: { vi: 'Hồ sơ trực tuyến', en: 'Online dossiers' },
    formula: {
      vi: 'Hồ sơ tiếp nhận trực tuyến / hồ sơ tiếp nhận, × tỷ lệ đồng bộ (1.4); đủ điểm từ 50%',
      en: 'dossiers received online / dossiers received, × the synchronisation ratio (1.4); full at 50%',
    },
  },
  {
    id: 'index766.online_payment.dossiers_paid',
    code: '4A',
    group: 'online_payment',
    points: 6,
    fullAt: linear,
    zeroDenominator: 'zero',
    source: 'dossier',
    name: { vi: 'Hồ sơ thanh toán trực tuyến', en: 'Dossiers paid online' },
    formula: {
      vi: 'Hồ sơ thanh toán trực tuyến / hồ sơ của TTHC có phí, trừ hồ sơ có danh sách phí bằng 0',
      en: 'dossiers paid online / dossiers of fee-bearing procedures minus those whose fee list is all zero',
    },
  },
  {
    id: 'index766.online_payment.procedures_with_fee',
    code: '4B',
    group: 'online_payment',
    points: 2,
    fullAt: fullAt(80),
    zeroDenominator: 'zero',
    source: 'catalog',
    name: { vi: 'TTHC có đồng bộ phí', en: 'Procedures with fee data' },
    formula: {
      vi: 'TTHC có phí có hồ sơ đồng bộ phí khác 0 trong kỳ / TTHC có phí; đủ điểm từ 80%',
      en: 'fee-bearing procedures with dossiers carrying a non-zero fee / fee-bearing procedures; full at 80%',
    },
  },
  {
    id: 'index766.online_payment.procedures_paid',
    code: '4C',
    group: 'online_payment',
    points: 2,
    fullAt: fullAt(80),
    zeroDenominator: 'zero',
    source: 'catalog',
    name: { vi: 'TTHC có thanh toán trực tuyến', en: 'Procedures paid online' },
    formula: {
      vi: 'TTHC có phí có thanh toán trực tuyến trong kỳ / TTHC có phí; đủ điểm từ 80%',
      en: 'fee-bearing procedures with an online payment in the period / fee-bearing procedures; full at 80%',
    },
  },
  {
    id: 'index766.satisfaction.petitions_on_time',
    code: '5.2',
    group: 'satisfaction',
    points: 6,
    fullAt: linear,
    zeroDenominator: 'full',
    source: 'external',
    name: { vi: 'PAKN xử lý đúng hạn', en: 'Petitions handled on time' },
    formula: {
      vi: 'PAKN xử lý đúng hạn / PAKN (số liệu công bố); không có PAKN: đủ điểm',
      en: 'petitions handled on time / petitions (published figures); none: full points',
    },
  },
  {
    id: 'index766.satisfaction.petition_satisfaction',
    code: '5.3',
    group: 'satisfaction',
    points: 6,
    fullAt: linear,
    zeroDenominator: 'full',
    source: 'external',
    name: { vi: 'Hài lòng xử lý PAKN', en: 'Petition satisfaction' },
    formula: {
      vi: 'PAKN không bị đánh giá không hài lòng, lặp lại hoặc trễ hạn / PAKN (số liệu công bố)',
      en: 'petitions not disliked, repeated or late / petitions (published figures)',
    },
  },
  {
    id: 'index766.satisfaction.dossier_satisfaction',
    code: '5.4',
    group: 'satisfaction',
    points: 6,
    fullAt: fullAt(90),
    zeroDenominator: 'zero',
    source: 'dossier',
    name: { vi: 'Hài lòng giải quyết hồ sơ', en: 'Dossier satisfaction' },
    formula: {
      vi: 'Hồ sơ không trễ hạn, không bị đánh giá không hài lòng, không bị PAKN / hồ sơ trong kỳ; đủ điểm từ 90%',
      en: 'dossiers neither late, rated dissatisfied nor petitioned / dossiers of the period; full at 90%',
    },
  },
  {
    id: 'index766.digitization.e_result',
    code: '4.1',
    group: 'digitization',
    points: 6,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'dossier',
    name: { vi: 'Cấp kết quả điện tử', en: 'Electronic results' },
    formula: {
      vi: 'Hồ sơ có kết quả mang mã kết quả và tệp / hồ sơ trong kỳ',
      en: 'dossiers with a result carrying a result code and a file / dossiers of the period',
    },
  },
  {
    id: 'index766.digitization.digitized_dossiers',
    code: '4.2',
    group: 'digitization',
    points: 4,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'dossier',
    name: { vi: 'Số hóa hồ sơ', en: 'Digitized dossiers' },
    formula: {
      vi: 'Hồ sơ có tệp cho mọi thành phần và, khi đã có kết quả, tệp kết quả / hồ sơ trong kỳ',
      en: 'dossiers with a file for every submitted component and, once resolved, a result file / dossiers of the period',
    },
  },
  {
    id: 'index766.digitization.e_certified_copies',
    code: '4.e',
    group: 'digitization',
    points: 2,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'external',
    name: { vi: 'Chứng thực bản sao điện tử', en: 'E-certified copies' },
    formula: {
      vi: 'Xã cung cấp chứng thực bản sao điện tử từ bản chính / số xã (số liệu công bố)',
      en: 'communes certifying electronic copies from originals / communes (published figures)',
    },
  },
  {
    id: 'index766.digitization.reuse',
    code: '4.3',
    group: 'digitization',
    points: 2,
    fullAt: fullAt(80),
    zeroDenominator: 'null',
    source: 'dossier',
    name: { vi: 'Tái sử dụng dữ liệu số hóa', en: 'Reuse of digitized data' },
    formula: {
      vi: 'Hồ sơ tiếp nhận có ít nhất một thành phần số hóa, tái sử dụng / hồ sơ tiếp nhận; đủ điểm từ 80%',
      en: 'dossiers received with at least one digitized or reused component / dossiers received; full at 80%',
    },
  },
  {
    id: 'index766.digitization.shared',
    code: '4.4',
    group: 'digitization',
    points: 4,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'dossier',
    name: { vi: 'Khai thác, chia sẻ dữ liệu', en: 'Shared for reuse' },
    formula: {
      vi: 'Hồ sơ tiếp nhận có thành phần lấy từ Kho DMQG hoặc kết quả đẩy vào kho dữ liệu cá nhân / hồ sơ tiếp nhận',
      en: "dossiers received with a component from the national store or a result pushed to the applicant's store / dossiers received",
    },
  },
  {
    id: 'index766.digitization.population_db_procedures',
    code: '4.5a',
    group: 'digitization',
    points: 2,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'catalog',
    name: { vi: 'TTHC khai thác CSDL dân cư', en: 'Procedures using the population database' },
    formula: {
      vi: 'TTHC cho công dân có hồ sơ VNeID hoặc dùng CSDL dân cư / TTHC cho công dân',
      en: 'citizen-facing procedures with a dossier from VNeID or the population database / citizen-facing procedures',
    },
  },
  {
    id: 'index766.digitization.population_db_dossiers',
    code: '4.5b',
    group: 'digitization',
    points: 2,
    fullAt: linear,
    zeroDenominator: 'null',
    source: 'dossier',
    name: { vi: 'Hồ sơ khai thác CSDL dân cư', en: 'Dossiers using the population database' },
    formula: {
      vi: 'Hồ sơ nộp từ tài khoản VNeID hoặc dùng CSDL dân cư / hồ sơ trong kỳ',
      en: 'dossiers filed from a VNeID account or with population-database data / dossiers of the period',
    },
  },
];

const byId = new Map(COMPONENTS.map((c) => [c.id, c]));

export function componentById(id: string): Component {
  const c = byId.get(id);
  if (!c) throw new Error(`unknown Decision 766 component ${id}`);
  return c;
}

export function groupById(id: GroupId): Group {
  const g = GROUPS.find((x) => x.id === id);
  if (!g) throw new Error(`unknown Decision 766 group ${id}`);
  return g;
}

export function componentsOf(group: GroupId): Component[] {
  return COMPONENTS.filter((c) => c.group === group);
}

/** Short component id after the group (`index766.digitization.e_result` → `e_result`). */
export function shortName(id: string): string {
  return id.split('.').slice(2).join('.') || id.split('.')[1] || id;
}
