using System.Runtime.CompilerServices;

// Why: ML.NET keeps the plumbing its own trainers are built on internal ([BestFriend]): TrainerEstimatorBase and
// TrainContext, RoleMappedData, ModelParametersBase with ModelSaveContext/ModelLoadContext and LoadableClass (the model
// zip), the prediction transformers' constructors, IValueMapper, the ONNX converter's OnnxContext, CatalogUtils, and
// the host's logging extensions. A trainer that is an ordinary ML.NET trainer (saved and loaded as a standard zip,
// exported by ML.NET's converter) has to use them as ML.NET's own trainers do. The library compiles against publicized
// copies of Microsoft.ML.Core and Microsoft.ML.Data (tools/Sru.Build.Publicizer) and these attributes let the runtime
// allow the access.
// What it affects: only this assembly's calls into those two assemblies. Such members can change in any ML.NET release,
// so the package accepts only checked ML.NET versions (Directory.Build.props) and MlNetMemberTests checks that every
// member the built library references exists in each of them. docs/design.md ("Process-wide effects and non-public
// members") lists the uses.
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]
