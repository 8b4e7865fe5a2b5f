export { OfflineProvider, OFFLINE_MODEL } from './offline-provider.js';
export { DocumentAnalysis } from './analysis.js';
