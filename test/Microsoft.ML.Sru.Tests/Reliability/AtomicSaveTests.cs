using Microsoft.ML.Sru.Tests.Trainers;

namespace Microsoft.ML.Sru.Tests.Reliability;

/// <summary><c>Model.SaveAtomically</c>: replaces a model file whole, or not at all, and leaves no temporary file behind.</summary>
[TestClass]
public sealed class AtomicSaveTests
{
    [TestMethod]
    public void SaveAtomically_replaces_an_existing_model_and_leaves_only_the_model_in_the_folder()
    {
        string folder = FolderWithSavedModel(out string path, out _);
        var (ml, train) = TrainingData();
        using var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(train);

        ml.Model.SaveAtomically(model, train.Schema, path);

        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(folder));
        Assert.IsTrue(TinyModels.SameScores(TinyModels.Scores(model), TinyModels.Scores(new MLContext().Model.Load(path, out _))), "the file holds the new model");
        Assert.IsFalse(TinyModels.SameScores(TinyModels.SavedScores, TinyModels.Scores(model)), "which differs from the one replaced");
        Directory.Delete(folder, recursive: true);
    }

    [TestMethod]
    public void A_failed_SaveAtomically_leaves_the_existing_model_unchanged_and_no_temporary_file()
    {
        string folder = FolderWithSavedModel(out string path, out byte[] existing);
        var (ml, train) = TrainingData();
        var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(train);
        model.Dispose();

        Assert.Throws<ObjectDisposedException>(() => ml.Model.SaveAtomically(model, train.Schema, path));

        CollectionAssert.AreEqual(existing, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(folder));
        Directory.Delete(folder, recursive: true);
    }

    [TestMethod]
    public void SaveAtomically_into_a_missing_folder_names_the_folder()
    {
        string missing = Path.Combine(Path.GetTempPath(), "sru-missing-" + Guid.NewGuid().ToString("N"));
        var (ml, train) = TrainingData();
        using var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(train);

        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => ml.Model.SaveAtomically(model, train.Schema, Path.Combine(missing, "model.zip")));

        StringAssert.Contains(e.Message, $"the folder '{missing}' does not exist");
    }

    [TestMethod]
    public void SaveAtomically_with_entries_of_ones_own_gives_a_model_zip_that_loads_and_holds_them()
    {
        string folder = NewFolder();
        string path = Path.Combine(folder, "model.zip");
        var (ml, train) = TrainingData();
        using var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(train);

        ml.Model.SaveAtomically(model, train.Schema, path, zip =>
        {
            using var writer = new StreamWriter(zip.CreateEntry("MyApp/Dataset.txt").Open());
            writer.Write("markers");
        });

        using (var zip = System.IO.Compression.ZipFile.OpenRead(path))
        using (var reader = new StreamReader(zip.GetEntry("MyApp/Dataset.txt")!.Open()))
            Assert.AreEqual("markers", reader.ReadToEnd());
        Assert.IsTrue(TinyModels.SameScores(TinyModels.Scores(model), TinyModels.Scores(new MLContext().Model.Load(path, out _))), "ML.NET loads the model beside the extra entry");
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(folder));
        Directory.Delete(folder, recursive: true);
    }

    [TestMethod]
    public void SaveAtomically_whose_entries_callback_throws_leaves_the_existing_model_unchanged()
    {
        string folder = FolderWithSavedModel(out string path, out byte[] existing);
        var (ml, train) = TrainingData();
        using var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(train);

        Assert.Throws<InvalidOperationException>(() => ml.Model.SaveAtomically(model, train.Schema, path, _ => throw new InvalidOperationException("no entry")));

        CollectionAssert.AreEqual(existing, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(folder));
        Directory.Delete(folder, recursive: true);
    }

    private static (MLContext Ml, IDataView Train) TrainingData()
    {
        var ml = new MLContext(seed: 3);
        return (ml, OrderedMarkers.Load(ml, 100, seed: 3));
    }

    /// <summary>A new folder holding model.zip, a model saved earlier (its bytes in <paramref name="existing"/>).</summary>
    private static string FolderWithSavedModel(out string path, out byte[] existing)
    {
        string folder = NewFolder();
        path = Path.Combine(folder, "model.zip");
        existing = TinyModels.SavedZip;
        File.WriteAllBytes(path, existing);
        return folder;
    }

    private static string NewFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "sru-save-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
