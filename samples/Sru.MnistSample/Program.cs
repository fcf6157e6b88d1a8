using Sru.MnistSample.Cli;

// SRU, LSTM and GRU on MNIST as an ML.NET user would run them: train, evaluate, predict, compare.
// Run with --help; exit codes are listed there and in the README.
return SampleCommandLine.Run(args);
