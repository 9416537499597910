import type { Rng } from './random.ts';

export type AdminLevel = 'province' | 'district' | 'commune';

export interface Agency {
  code: string;
  name: string;
  level: AdminLevel;
  parentCode: string | null;
  /** `YYYY-MM-DD`, inclusive. */
  validFrom: string;
  /** `YYYY-MM-DD`, exclusive; null while the agency exists. */
  validTo: string | null;
  /** Relative share of dossiers among agencies of its level. */
  weight: number;
}

/** The two-level local government took over from the three-level one on this day (Resolution 202/2025). */
export const REFORM_DATE = '2025-07-01';
export const CATALOG_START = '2020-01-01';
const PROVINCE = 'H29';

const DEPARTMENTS = [
  'Sở Tư pháp',
  'Sở Xây dựng',
  'Sở Tài nguyên và Môi trường',
  'Sở Kế hoạch và Đầu tư',
  'Sở Công Thương',
  'Sở Y tế',
  'Sở Giáo dục và Đào tạo',
  'Sở Lao động - Thương binh và Xã hội',
  'Sở Giao thông vận tải',
  'Sở Văn hóa và Thể thao',
  'Sở Du lịch',
  'Sở Thông tin và Truyền thông',
  'Sở Nội vụ',
  'Sở Tài chính',
  'Sở Nông nghiệp và Phát triển nông thôn',
  'Sở Khoa học và Công nghệ',
  'Sở Quy hoạch - Kiến trúc',
  'Ban Quản lý các Khu chế xuất và công nghiệp',
  'Công an Thành phố',
];
/**
 * Sub-units of some departments (chi cục, văn phòng): province-level agencies with the department as
 * parent, which handle part of its procedures; a department's Decision 766 score includes them.
 */
const SUB_UNITS: Record<string, string[]> = {
  'Sở Tài nguyên và Môi trường': ['Văn phòng Đăng ký đất đai', 'Chi cục Bảo vệ môi trường'],
  'Sở Y tế': ['Chi cục An toàn vệ sinh thực phẩm', 'Chi cục Dân số - Kế hoạch hóa gia đình'],
  'Sở Nông nghiệp và Phát triển nông thôn': ['Chi cục Thủy sản', 'Chi cục Chăn nuôi và Thú y'],
  'Sở Lao động - Thương binh và Xã hội': ['Chi cục Phòng, chống tệ nạn xã hội'],
};

/** Planning and Investment merged into Finance on 2025-03-01 (the 2025 streamlining of departments). */
const MERGED_DEPARTMENTS: Record<string, string> = { 'Sở Kế hoạch và Đầu tư': '2025-03-01' };

/** The 22 district-level units before the reform, with their national administrative unit codes. */
const DISTRICTS: [number, string][] = [
  [760, 'Quận 1'],
  [761, 'Quận 12'],
  [764, 'Quận Gò Vấp'],
  [765, 'Quận Bình Thạnh'],
  [766, 'Quận Tân Bình'],
  [767, 'Quận Tân Phú'],
  [768, 'Quận Phú Nhuận'],
  [769, 'Thành phố Thủ Đức'],
  [770, 'Quận 3'],
  [771, 'Quận 10'],
  [772, 'Quận 11'],
  [773, 'Quận 4'],
  [774, 'Quận 5'],
  [775, 'Quận 6'],
  [776, 'Quận 8'],
  [777, 'Quận Bình Tân'],
  [778, 'Quận 7'],
  [783, 'Huyện Củ Chi'],
  [784, 'Huyện Hóc Môn'],
  [785, 'Huyện Bình Chánh'],
  [786, 'Huyện Nhà Bè'],
  [787, 'Huyện Cần Giờ'],
];
const WARDS_BEFORE = 312;
const WARDS_AFTER = 168;
const FIRST_WARD_CODE = 26734;

export interface AgencyCatalog {
  all: Agency[];
  /** The sub-units of a department (its children in the hierarchy that exist on the date). */
  subUnitsOf(code: string, date: string): Agency[];
  /** Agencies that exist on the given local date. */
  activeOn(date: string): { province: Agency[]; district: Agency[]; commune: Agency[] };
}

/**
 * Departments (`H29.01`…), districts (`H29.760`…) until the reform and wards/communes
 * (`H29.26734`…): 312 before, 168 merged ones after. A merged ward keeps the code of its first
 * predecessor, so that code has two validity rows.
 */
export function buildAgencies(rng: Rng): AgencyCatalog {
  const all: Agency[] = [];
  DEPARTMENTS.forEach((name, i) => {
    const code = `${PROVINCE}.${String(i + 1).padStart(2, '0')}`;
    all.push({
      code,
      name,
      level: 'province',
      parentCode: null,
      validFrom: CATALOG_START,
      validTo: MERGED_DEPARTMENTS[name] ?? null,
      weight: 0.5 + rng.next() * 2,
    });
    (SUB_UNITS[name] ?? []).forEach((subName, j) => {
      all.push({
        code: `${code}.${String(j + 1).padStart(2, '0')}`,
        name: subName,
        level: 'province',
        parentCode: code,
        validFrom: CATALOG_START,
        validTo: null,
        weight: 0.5 + rng.next(),
      });
    });
  });
  const wardsPerDistrict = DISTRICTS.map(() => 1 + rng.next());
  const scale = (WARDS_BEFORE - DISTRICTS.length) / wardsPerDistrict.reduce((s, w) => s + w, 0);
  let wardCode = FIRST_WARD_CODE;
  const wardsBefore: Agency[] = [];
  DISTRICTS.forEach(([code, name], d) => {
    const district = `${PROVINCE}.${code}`;
    all.push({
      code: district,
      name: `UBND ${name}`,
      level: 'district',
      parentCode: null,
      validFrom: CATALOG_START,
      validTo: REFORM_DATE,
      weight: 0.5 + rng.next(),
    });
    const count =
      d === DISTRICTS.length - 1
        ? WARDS_BEFORE - wardsBefore.length
        : 1 + Math.round((wardsPerDistrict[d] ?? 1) * scale);
    for (let w = 1; w <= count; w++) {
      wardsBefore.push({
        code: `${PROVINCE}.${wardCode++}`,
        name: `UBND phường/xã số ${w}, ${name}`,
        level: 'commune',
        parentCode: district,
        validFrom: CATALOG_START,
        validTo: REFORM_DATE,
        weight: 0.5 + rng.next(),
      });
    }
  });
  all.push(...wardsBefore);
  for (let n = 0; n < WARDS_AFTER; n++) {
    const first = wardsBefore[Math.floor((n * wardsBefore.length) / WARDS_AFTER)];
    if (!first) break;
    all.push({
      code: first.code,
      name: `UBND phường/xã mới số ${n + 1}`,
      level: 'commune',
      parentCode: null,
      validFrom: REFORM_DATE,
      validTo: null,
      weight: 0.5 + rng.next(),
    });
  }
  const cache = new Map<string, ReturnType<AgencyCatalog['activeOn']>>();
  const isActive = (a: Agency, date: string) =>
    a.validFrom <= date && (a.validTo === null || date < a.validTo);
  const children = new Map<string, Agency[]>();
  for (const a of all) {
    if (a.parentCode !== null && a.level === 'province') {
      children.set(a.parentCode, [...(children.get(a.parentCode) ?? []), a]);
    }
  }
  return {
    all,
    subUnitsOf: (code, date) => (children.get(code) ?? []).filter((a) => isActive(a, date)),
    activeOn(date) {
      const hit = cache.get(date);
      if (hit) return hit;
      const active = all.filter((a) => isActive(a, date));
      const result = {
        // Departments only: their sub-units handle dossiers on their behalf (subUnitsOf).
        province: active.filter((a) => a.level === 'province' && a.parentCode === null),
        district: active.filter((a) => a.level === 'district'),
        commune: active.filter((a) => a.level === 'commune'),
      };
      cache.set(date, result);
      return result;
    },
  };
}
