// The grpc-js pieces apps and tests need (status codes, metadata, client credentials), so nothing outside the
// transport libs imports @grpc/grpc-js itself.
export { credentials as grpcCredentials, status as GrpcStatus,Metadata, type ServiceError } from '@grpc/grpc-js';
