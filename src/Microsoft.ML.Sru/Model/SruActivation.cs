namespace Microsoft.ML.Sru;

/// <summary>The SRU's cell activation g in h_t = r_t⊙g(c_t) + (1 − r_t)⊙x'_t.</summary>
public enum SruActivation
{
    /// <summary>g = tanh: the 2017 paper's cell and that of <see cref="BlogReproduction">the blog post</see> (the default here).</summary>
    Tanh = 0,

    /// <summary>g(c) = c: the official SRU 2.x default (its use_tanh = False).</summary>
    Identity = 1,
}
