// The operator release this code stands in for: the version stamped on generated objects
// (`cnpg.io/operatorVersion`) and the image of the operator Deployment and of the instance pods'
// bootstrap init container, as upstream's release manifest names them.
export const OPERATOR_VERSION = '1.30.0';
export const OPERATOR_IMAGE = `ghcr.io/cloudnative-pg/cloudnative-pg:${OPERATOR_VERSION}`;
