"""kerastx's adjustments to the libraries it runs on (tf_keras, transformers), on the ground floor: every other
package may import from here, nothing here imports from them."""
