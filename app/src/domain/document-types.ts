/**
 * Per-document-type field schemas: which fields a complete document of each type must have.
 * Completeness (checklist: "completeness ≥95% average") is measured against these lists.
 */
import type { DocumentType, FieldName } from './fields.js';

export interface DocumentTypeSchema {
  required: readonly FieldName[];
  /** Extracted when present; never counted against completeness. */
  optional: readonly FieldName[];
}

export const DOCUMENT_TYPE_SCHEMAS: Record<DocumentType, DocumentTypeSchema> = {
  receipt: {
    required: ['document_type', 'vendor_name', 'vendor_address', 'document_date', 'total_amount', 'currency', 'title', 'summary'],
    optional: ['language', 'document_number', 'organizations', 'people', 'keywords', 'line_items', 'sections'],
  },
  invoice: {
    required: ['document_type', 'vendor_name', 'vendor_address', 'document_date', 'document_number', 'total_amount', 'currency', 'title', 'summary'],
    optional: ['language', 'organizations', 'people', 'keywords', 'line_items', 'sections'],
  },
  form: {
    required: ['document_type', 'title', 'key_values', 'summary'],
    optional: ['language', 'vendor_name', 'document_date', 'document_number', 'organizations', 'people', 'keywords', 'sections'],
  },
  other: {
    required: ['document_type', 'title', 'summary'],
    optional: ['language', 'vendor_name', 'document_date', 'organizations', 'people', 'keywords', 'sections'],
  },
};

/** Required plus optional fields of a type: everything worth asking the agents for. */
export function wantedFields(type: DocumentType): FieldName[] {
  const s = DOCUMENT_TYPE_SCHEMAS[type];
  return [...s.required, ...s.optional];
}
