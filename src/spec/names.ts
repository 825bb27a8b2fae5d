// Names shared by the GPU layers and the CPU reference: activations and weight initializers
// (Keras semantics; the implementations live in kernels/activations, reference/math and
// init/initializers).

/** An activation of a recurrent cell's gates or of a Dense head. */
export type Activation = 'tanh' | 'sigmoid' | 'hardSigmoid' | 'relu' | 'linear';

/** A Keras weight initializer. */
export type InitializerName = 'glorotUniform' | 'orthogonal' | 'zeros' | 'ones' | 'heUniform' | 'randomNormal' | 'randomUniform';
