/**
 * Synthetic documents in the corpus JSON shape, written for the tests (not from any dataset).
 */
export const RECEIPT_A = {
  id: 'SYN-RCPT-0001',
  ocr_lines: [
    'KEDAI RUNCIT MAJU JAYA SDN BHD',
    '(CO. REG: 123456-X)',
    'NO. 12, JALAN MAWAR 3/4, TAMAN BUNGA RAYA,',
    '43000 KAJANG, SELANGOR',
    'TEL: 03-8736 1234',
    'TAX INVOICE',
    'INVOICE NO: CS-00012345',
    'DATE: 14/03/2018 10:22:31',
    'MINERAL WATER 1.5L',
    '2 X 1.80',
    '3.60',
    'BREAD WHOLEMEAL',
    '1 X 3.90',
    '3.90',
    'TOTAL (INCL GST):',
    'RM 7.50',
    'CASH',
    '10.00',
    'CHANGE',
    '2.50',
    'THANK YOU. PLEASE COME AGAIN',
  ],
  ground_truth: { company: 'KEDAI RUNCIT MAJU JAYA SDN BHD', date: '14/03/2018', address: 'NO. 12, JALAN MAWAR 3/4, TAMAN BUNGA RAYA, 43000 KAJANG, SELANGOR', total: '7.50' },
};
export const RECEIPT_B = {
  id: 'SYN-RCPT-0002',
  ocr_lines: [
    'SINAR HARDWARE ENTERPRISE',
    'LOT 8, JALAN PERUSAHAAN 2,',
    'KAWASAN PERINDUSTRIAN, 81200 JOHOR BAHRU, JOHOR',
    'GST REG NO: 001234567890',
    'RECEIPT NO: R-7781',
    'DATE: 02-11-2017',
    'PAINT BRUSH 2" 1 12.00 12.00',
    'MASKING TAPE 2 4.50 9.00',
    'TOTAL',
    '21.00',
  ],
  ground_truth: { company: 'SINAR HARDWARE ENTERPRISE', date: '02-11-2017', address: 'LOT 8, JALAN PERUSAHAAN 2, KAWASAN PERINDUSTRIAN, 81200 JOHOR BAHRU, JOHOR', total: '21.00' },
};
export const FORM_A = {
  id: 'SYN-FORM-0001',
  ocr_lines: ['FAX TRANSMITTAL FORM', 'TO:', 'Jane Doe', 'FROM:', 'Research Department', 'DATE:', 'June 4, 1996', 'NUMBER OF PAGES:', '3', 'SUBJECT:', 'Quarterly report'],
  key_values: [
    { question: 'TO:', answer: 'Jane Doe' },
    { question: 'FROM:', answer: 'Research Department' },
  ],
};

