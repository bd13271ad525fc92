/** The endpoint secret of the apps under test: the conformance table's, which signs their deliveries. */
export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
