//! A small builder of ONNX graphs: constants (initializers) in the export's precision, nodes
//! with generated output names, typed graph inputs and outputs.

use super::proto::{
    attribute_type, data_type, tensor_shape_proto, type_proto, AttributeProto, GraphProto,
    NodeProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use super::Precision;

/// An operator attribute.
pub enum Attr {
    Int(&'static str, i64),
    Float(&'static str, f32),
}

/// A dimension of a graph input or output: fixed, or the symbolic batch size.
pub enum Dim {
    Fixed(usize),
    Batch,
}

/// The symbolic name of the batch dimension (rows scored at once).
pub const BATCH: &str = "N";

/// Nodes and initializers being assembled, in the order they are added (ONNX requires a
/// topologically sorted node list, which this order is: every input exists before its use).
pub struct Builder {
    precision: Precision,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    next: usize,
}

impl Builder {
    pub fn new(precision: Precision) -> Builder {
        Builder {
            precision,
            nodes: Vec::new(),
            initializers: Vec::new(),
            next: 0,
        }
    }

    /// A floating-point constant of shape `dims` (row-major `values`), stored in the export's
    /// precision (f32 rounds each value to nearest).
    pub fn constant(&mut self, name: &str, dims: &[usize], values: &[f64]) -> String {
        debug_assert_eq!(dims.iter().product::<usize>(), values.len());
        let mut tensor = TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            name: name.to_string(),
            ..TensorProto::default()
        };
        match self.precision {
            Precision::F64 => {
                tensor.data_type = data_type::DOUBLE;
                tensor.double_data = values.to_vec();
            }
            Precision::F32 => {
                tensor.data_type = data_type::FLOAT;
                tensor.float_data = values.iter().map(|&v| v as f32).collect();
            }
        }
        self.initializers.push(tensor);
        name.to_string()
    }

    /// A one-element floating-point constant (broadcast against any tensor), added once per
    /// value.
    pub fn scalar(&mut self, value: f64) -> String {
        let name = format!("scalar_{value:e}");
        if !self.initializers.iter().any(|t| t.name == name) {
            self.constant(&name, &[1], &[value]);
        }
        name
    }

    /// An int64 constant of shape `dims`.
    pub fn constant_i64(&mut self, name: &str, dims: &[usize], values: &[i64]) -> String {
        self.initializers.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: data_type::INT64,
            int64_data: values.to_vec(),
            name: name.to_string(),
            ..TensorProto::default()
        });
        name.to_string()
    }

    /// Adds `op_type(inputs)` with one output, named `hint` and a counter (or exactly `name`
    /// when given, for graph outputs); returns the output's name.
    pub fn node(
        &mut self,
        op_type: &str,
        inputs: &[&str],
        attrs: &[Attr],
        name: Option<&str>,
    ) -> String {
        self.next += 1;
        let output = match name {
            Some(n) => n.to_string(),
            None => format!("{}_{}", op_type.to_lowercase(), self.next),
        };
        let attribute = attrs
            .iter()
            .map(|a| match *a {
                Attr::Int(name, i) => AttributeProto {
                    name: name.to_string(),
                    r#type: attribute_type::INT,
                    i,
                    ..AttributeProto::default()
                },
                Attr::Float(name, f) => AttributeProto {
                    name: name.to_string(),
                    r#type: attribute_type::FLOAT,
                    f,
                    ..AttributeProto::default()
                },
            })
            .collect();
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            name: format!("{op_type}_{}", self.next),
            op_type: op_type.to_string(),
            domain: String::new(),
            attribute,
        });
        output
    }

    /// The element type of floating-point tensors in this export.
    pub fn float_type(&self) -> i32 {
        match self.precision {
            Precision::F64 => data_type::DOUBLE,
            Precision::F32 => data_type::FLOAT,
        }
    }

    /// The finished graph with its inputs and outputs.
    pub fn finish(
        self,
        name: &str,
        doc_string: String,
        inputs: Vec<ValueInfoProto>,
        outputs: Vec<ValueInfoProto>,
    ) -> GraphProto {
        GraphProto {
            node: self.nodes,
            name: name.to_string(),
            initializer: self.initializers,
            doc_string,
            input: inputs,
            output: outputs,
        }
    }
}

/// A graph input or output of element type `elem_type` and shape `dims`.
pub fn value_info(name: &str, elem_type: i32, dims: &[Dim], doc: &str) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| tensor_shape_proto::Dimension {
            value: Some(match d {
                Dim::Fixed(n) => tensor_shape_proto::dimension::Value::DimValue(*n as i64),
                Dim::Batch => tensor_shape_proto::dimension::Value::DimParam(BATCH.to_string()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type,
                shape: Some(TensorShapeProto { dim }),
            })),
        }),
        doc_string: doc.to_string(),
    }
}
