/** Word lists for synthetic names and addresses. Invented combinations; any likeness to a real taxpayer is chance. */
import type { AustralianState } from './synthetic-types.js';

export const GIVEN_NAMES = [
  'Olivia', 'Jack', 'Charlotte', 'William', 'Amelia', 'Noah', 'Isla', 'Oliver', 'Mia', 'Thomas',
  'Ava', 'James', 'Grace', 'Lucas', 'Chloe', 'Henry', 'Zoe', 'Leo', 'Ruby', 'Ethan',
  'Sophie', 'Liam', 'Matilda', 'Mason', 'Harper', 'Lachlan', 'Ella', 'Cooper', 'Evie', 'Hamish',
  'Priya', 'Wei', 'Minh', 'Aisha', 'Mohammed', 'Mei', 'Arjun', 'Yuki', 'Sione', 'Talia',
] as const;

export const FAMILY_NAMES = [
  'Smith', 'Jones', 'Williams', 'Brown', 'Wilson', 'Taylor', 'Nguyen', 'Johnson', 'Martin', 'White',
  'Anderson', 'Walker', 'Thompson', 'Harris', 'Lee', 'Ryan', 'Robinson', 'Kelly', 'King', 'Campbell',
  'Clarke', 'Mitchell', 'Young', 'Wright', "O'Brien", 'Murphy', 'Chen', 'Singh', 'Tran', 'Patel',
  'Kaur', 'Wang', 'Li', 'Papadopoulos', 'Rossi', 'Kowalski', 'Nakamura', 'Fonua', 'McDonald', 'Baker',
] as const;

export const BUSINESS_WORDS = [
  'Harbour', 'Red Gum', 'Southern Cross', 'Coastal', 'Outback', 'Wattle', 'Blue Mountains', 'Banksia',
  'Coral Sea', 'Kookaburra', 'Ironbark', 'Mallee', 'Gulf', 'Riverina', 'Tasman', 'Eucalypt',
  'Pinnacle', 'Summit', 'Meridian', 'Granite', 'Silver Creek', 'Golden Plains', 'Bluewater', 'Sunrise',
] as const;

export const BUSINESS_TRADES = [
  'Plumbing', 'Electrical', 'Constructions', 'Logistics', 'Consulting', 'Hospitality', 'Engineering', 'Landscaping',
  'Medical', 'Dental', 'Accounting', 'Software', 'Transport', 'Agriculture', 'Vineyards', 'Retail',
  'Property', 'Cafe', 'Freight', 'Marine',
] as const;

export const STREET_NAMES = [
  'George', 'King', 'Queen', 'Elizabeth', 'Victoria', 'Albert', 'Church', 'High', 'Station', 'Railway',
  'Park', 'Bridge', 'Beach', 'Hill', 'Main', 'Wattle', 'Acacia', 'Banksia', 'Jacaranda', 'Macquarie',
] as const;

export const STREET_KINDS = ['Street', 'Road', 'Avenue', 'Parade', 'Crescent', 'Lane', 'Drive', 'Terrace'] as const;

export const SUBURBS: ReadonlyArray<readonly [suburb: string, state: AustralianState, postcode: string]> = [
  ['Parramatta', 'NSW', '2150'], ['Newtown', 'NSW', '2042'], ['Chatswood', 'NSW', '2067'], ['Wollongong', 'NSW', '2500'],
  ['Newcastle', 'NSW', '2300'], ['Dubbo', 'NSW', '2830'], ['Fitzroy', 'VIC', '3065'], ['Geelong', 'VIC', '3220'],
  ['Ballarat', 'VIC', '3350'], ['Box Hill', 'VIC', '3128'], ['Bendigo', 'VIC', '3550'], ['Fortitude Valley', 'QLD', '4006'],
  ['Southport', 'QLD', '4215'], ['Townsville', 'QLD', '4810'], ['Toowoomba', 'QLD', '4350'], ['Cairns', 'QLD', '4870'],
  ['Fremantle', 'WA', '6160'], ['Joondalup', 'WA', '6027'], ['Bunbury', 'WA', '6230'], ['Glenelg', 'SA', '5045'],
  ['Norwood', 'SA', '5067'], ['Mount Gambier', 'SA', '5290'], ['Sandy Bay', 'TAS', '7005'], ['Launceston', 'TAS', '7250'],
  ['Braddon', 'ACT', '2612'], ['Belconnen', 'ACT', '2617'], ['Darwin City', 'NT', '0800'], ['Alice Springs', 'NT', '0870'],
];

export const CASE_OFFICERS = ['A. Kowalczyk', 'B. Nguyen', 'C. Okafor', 'D. Sharma', 'E. Walsh', 'F. Tanaka', 'G. Ferreira', 'H. Mahmoud'] as const;
