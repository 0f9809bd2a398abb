"""Build small .tflite models from numpy arrays: single-op test models, examples, benchmarks.

    b = ModelBuilder()
    x = b.input((1, 8, 8, 3))
    y = b.conv_2d(x, weights, bias, stride=2, padding="SAME", activation="RELU6")
    b.output(y)
    model = b.build()            # ir.Model; litequant.format.write(model) gives the bytes

Activations are float32 unless given a dtype and quantization; `quant` takes
(scale, zero_point), or (scales, zero_points, axis) for per-axis parameters. Every op method
returns the index of its output tensor. Shapes follow TFLite's layouts: NHWC activations,
CONV_2D weights [out, kh, kw, in], DEPTHWISE_CONV_2D weights [1, kh, kw, in * multiplier],
FULLY_CONNECTED weights [out, in].
"""
import numpy as np

from litequant import geometry, ir, spec


def quant_params(quant):
    """(scale, zero_point) or (scales, zero_points, axis) -> ir.QuantParams (None passes)."""
    if quant is None or isinstance(quant, ir.QuantParams):
        return quant
    scale, zero_point, *axis = quant
    return ir.QuantParams(scale=scale, zero_point=zero_point, quantized_dimension=axis[0] if axis else 0)


def _pair(value):
    return (value, value) if np.isscalar(value) else tuple(value)


def broadcast_shape(*shapes):
    return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))


class ModelBuilder:
    def __init__(self, name="main"):
        self.model = ir.Model(subgraphs=[ir.Subgraph(name=name)])
        self.graph = self.model.subgraphs[0]

    # tensors ---------------------------------------------------------------------------
    def tensor(self, shape, dtype="float32", name=None, quant=None, buffer=0):
        index = len(self.graph.tensors)
        self.graph.tensors.append(ir.Tensor(
            name=name or f"t{index}", dtype=dtype, shape=tuple(int(d) for d in shape),
            buffer=buffer, quantization=quant_params(quant)))
        return index

    def input(self, shape, dtype="float32", name=None, quant=None):
        index = self.tensor(shape, dtype, name or f"input_{len(self.graph.inputs)}", quant)
        self.graph.inputs.append(index)
        return index

    def constant(self, array, name=None, quant=None, dtype=None):
        array = np.asarray(array, dtype=dtype)
        return self.tensor(array.shape, array.dtype.name, name, quant, self.model.add_buffer(array))

    def output(self, *tensors):
        self.graph.outputs.extend(tensors)

    def shape(self, tensor):
        return self.graph.tensors[tensor].shape

    # operators -------------------------------------------------------------------------
    def op(self, opcode, inputs, out_shape, out_dtype=None, out_quant=None, version=None, **options):
        """Append one operator with a single new output tensor; returns that tensor's index."""
        first = self.graph.tensors[inputs[0]] if inputs and inputs[0] >= 0 else None
        dtype = out_dtype or (first.dtype if first else "float32")
        out = self.tensor(out_shape, dtype, quant=out_quant)
        self.operator(opcode, inputs, [out], version=version or self._version(opcode, first), **options)
        return out

    def operator(self, opcode, inputs, outputs, version=1, **options):
        info = spec.op(opcode) if opcode in spec.load("ops")["ops"] else {"options": None}
        table = info["options"]
        values = spec.default_options(table) if table else {}
        unknown = set(options) - set(values)
        if unknown:
            raise TypeError(f"{opcode} has no option(s) {sorted(unknown)}")
        values.update(options)
        self.graph.operators.append(ir.Operator(
            opcode=opcode, inputs=list(inputs), outputs=list(outputs),
            options={k: v for k, v in values.items() if v is not None}, options_type=table,
            version=version))

    @staticmethod
    def _version(opcode, first_input):
        """The version TensorFlow writes for this op on its first input's dtype: int8 from the
        converter's spec, everything else from ops.json."""
        dtype = first_input.dtype if first_input is not None else "float32"
        if dtype == "int8":
            int8 = spec.load("int8_spec")
            rule = int8["ops"].get(opcode) or int8["interface_ops"].get(opcode) or {}
            return rule.get("version", 1)
        versions = spec.op(opcode)["versions"] if opcode in spec.load("ops")["ops"] else {}
        return versions.get(dtype, 1)

    def build(self, signature_key="serving_default"):
        """The model, with a signature def naming inputs and outputs by tensor name."""
        names = self.graph.tensors
        self.model.signature_defs = [ir.SignatureDef(
            key=signature_key,
            inputs={names[t].name: t for t in self.graph.inputs},
            outputs={names[t].name: t for t in self.graph.outputs})]
        return self.model

    # convenience ops that infer output shapes ------------------------------------------
    def _window_shape(self, x, kernel, stride, dilation, padding, channels):
        n, h, w, _ = self.shape(x)
        (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
        return (n, geometry.output_size(h, kh, sh, dh, padding),
                geometry.output_size(w, kw, sw, dw, padding), channels)

    def _bias(self, bias, channels):
        """A float bias array, or int32 for int8 models, or None -> omitted input (-1)."""
        if bias is None:
            return -1
        if isinstance(bias, (int, np.integer)) and not isinstance(bias, bool):
            return int(bias)   # an existing tensor index
        return self.constant(np.asarray(bias).reshape(channels))

    def conv_2d(self, x, weights, bias=None, stride=1, dilation=1, padding="SAME",
                activation="NONE", out_quant=None, weight_quant=None, out_dtype=None):
        w = self._weights(weights, weight_quant)
        out, kh, kw, _ = self.shape(w)
        (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
        shape = self._window_shape(x, (kh, kw), (sh, sw), (dh, dw), padding, out)
        return self.op("CONV_2D", [x, w, self._bias(bias, out)], shape, out_dtype, out_quant,
                       padding=padding, stride_w=sw, stride_h=sh, dilation_w_factor=dw,
                       dilation_h_factor=dh, fused_activation_function=activation)

    def depthwise_conv_2d(self, x, weights, bias=None, stride=1, dilation=1, padding="SAME",
                          depth_multiplier=1, activation="NONE", out_quant=None,
                          weight_quant=None, out_dtype=None):
        w = self._weights(weights, weight_quant)
        _, kh, kw, out = self.shape(w)
        (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
        shape = self._window_shape(x, (kh, kw), (sh, sw), (dh, dw), padding, out)
        return self.op("DEPTHWISE_CONV_2D", [x, w, self._bias(bias, out)], shape, out_dtype,
                       out_quant, padding=padding, stride_w=sw, stride_h=sh,
                       depth_multiplier=depth_multiplier, dilation_w_factor=dw,
                       dilation_h_factor=dh, fused_activation_function=activation)

    def fully_connected(self, x, weights, bias=None, activation="NONE", keep_num_dims=False,
                        out_quant=None, weight_quant=None, out_dtype=None):
        w = self._weights(weights, weight_quant)
        units, depth = self.shape(w)
        in_shape = self.shape(x)
        if keep_num_dims:
            shape = in_shape[:-1] + (units,)
        else:
            shape = (int(np.prod(in_shape)) // depth, units)
        return self.op("FULLY_CONNECTED", [x, w, self._bias(bias, units)], shape, out_dtype,
                       out_quant, fused_activation_function=activation, keep_num_dims=keep_num_dims)

    def _weights(self, weights, quant):
        if isinstance(weights, (int, np.integer)):
            return int(weights)
        return self.constant(weights, quant=quant)

    def pool_2d(self, opcode, x, filter_size=2, stride=2, padding="VALID", activation="NONE",
                out_quant=None):
        (fh, fw), (sh, sw) = _pair(filter_size), _pair(stride)
        shape = self._window_shape(x, (fh, fw), (sh, sw), (1, 1), padding, self.shape(x)[3])
        quant = out_quant or self.graph.tensors[x].quantization
        return self.op(opcode, [x], shape, out_quant=quant, padding=padding, stride_w=sw,
                       stride_h=sh, filter_width=fw, filter_height=fh,
                       fused_activation_function=activation)

    def max_pool_2d(self, x, **kwargs):
        return self.pool_2d("MAX_POOL_2D", x, **kwargs)

    def average_pool_2d(self, x, **kwargs):
        return self.pool_2d("AVERAGE_POOL_2D", x, **kwargs)

    def binary(self, opcode, a, b, activation=None, out_quant=None, **options):
        if activation is not None:
            options["fused_activation_function"] = activation
        shape = broadcast_shape(self.shape(a), self.shape(b))
        return self.op(opcode, [a, b], shape, out_quant=out_quant, **options)

    def add(self, a, b, activation="NONE", out_quant=None):
        return self.binary("ADD", a, b, activation, out_quant)

    def sub(self, a, b, activation="NONE", out_quant=None):
        return self.binary("SUB", a, b, activation, out_quant)

    def mul(self, a, b, activation="NONE", out_quant=None):
        return self.binary("MUL", a, b, activation, out_quant)

    def unary(self, opcode, x, out_quant=None, out_dtype=None, **options):
        """An op whose output has its input's shape (activations, QUANTIZE, DEQUANTIZE, ...)."""
        return self.op(opcode, [x], self.shape(x), out_dtype, out_quant, **options)

    def mean(self, x, axes, keep_dims=False, out_quant=None):
        axes = [a % len(self.shape(x)) for a in np.atleast_1d(axes)]
        shape = tuple(1 if i in axes else d for i, d in enumerate(self.shape(x)) if keep_dims or i not in axes)
        axis = self.constant(np.asarray(axes, np.int32))
        return self.op("MEAN", [x, axis], shape, out_quant=out_quant, keep_dims=keep_dims)

    def reshape(self, x, new_shape):
        new_shape = tuple(int(d) for d in np.arange(int(np.prod(self.shape(x)))).reshape(new_shape).shape)
        shape_tensor = self.constant(np.asarray(new_shape, np.int32))
        return self.op("RESHAPE", [x, shape_tensor], new_shape,
                       out_quant=self.graph.tensors[x].quantization, new_shape=list(new_shape))
