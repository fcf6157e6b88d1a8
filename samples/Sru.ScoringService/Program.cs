using Sru.ScoringService;

await ScoringServiceApp.Build(args).RunAsync();
