namespace Microsoft.ML.Sru.Model;

/// <summary>
/// Fits an <see cref="InputScaling"/> from rows handed over one span at a time, so that data too large to hold can be
/// fitted in two passes: <see cref="AddMoments"/> over every row (mean and spread per group), then
/// <see cref="AddRange"/> over every row again (the range within the outlier bounds), then <see cref="Finish"/>. Rows
/// handed over in the same order give the same map, to the bit, as one span of them all.
/// </summary>
internal sealed class InputScalingFitter
{
    /// <summary>A position's range is floored at this share of the widest position's range.</summary>
    private const double RangeFloorShare = 0.1;

    /// <summary>Values further than this many standard deviations from the mean do not widen the range.</summary>
    private const double OutlierSpreads = 6;

    private readonly InputNormalization _kind;
    private readonly int _stepSize;
    private readonly int _groups;
    private readonly long[] _count;
    private readonly double[] _sum, _squares, _pivot, _low, _high, _lowest, _highest;
    private bool _pivotSet, _rangeStarted;

    public InputScalingFitter(InputNormalization kind, int stepSize)
    {
        _kind = kind;
        _stepSize = stepSize;
        _groups = kind == InputNormalization.Global ? 1 : stepSize;
        _count = new long[_groups];
        _sum = new double[_groups];
        _squares = new double[_groups];
        _pivot = new double[_groups];
        _low = new double[_groups];
        _high = new double[_groups];
        _lowest = new double[_groups];
        _highest = new double[_groups];
    }

    /// <summary>Whether the map needs the rows at all (<see cref="InputNormalization.None"/> does not).</summary>
    public bool NeedsRows => _kind != InputNormalization.None;

    public InputNormalization Kind => _kind;

    /// <summary>First pass: one row's values (whole steps).</summary>
    public void AddMoments(ReadOnlySpan<float> row)
    {
        if (!NeedsRows || row.IsEmpty)
            return;
        // Centred on each group's first value so that a large common offset costs no precision.
        if (!_pivotSet)
        {
            for (int g = 0; g < _groups; g++)
                _pivot[g] = row[g];
            _pivotSet = true;
        }
        for (int i = 0; i < row.Length; i++)
        {
            int g = _groups == 1 ? 0 : i % _stepSize;
            double d = row[i] - _pivot[g];
            _count[g]++;
            _sum[g] += d;
            _squares[g] += d * d;
        }
    }

    /// <summary>Second pass: one row's values, in the order of the first.</summary>
    public void AddRange(ReadOnlySpan<float> row)
    {
        if (!NeedsRows || !_pivotSet)
            return;
        if (!_rangeStarted)
            StartRange();
        for (int i = 0; i < row.Length; i++)
        {
            int g = _groups == 1 ? 0 : i % _stepSize;
            double v = row[i];
            if (v < _low[g] || v > _high[g])
                continue;
            _lowest[g] = Math.Min(_lowest[g], v);
            _highest[g] = Math.Max(_highest[g], v);
        }
    }

    /// <summary>The fitted map; the identity when no row was added or the kind is <see cref="InputNormalization.None"/>.</summary>
    public InputScaling Finish()
    {
        if (!NeedsRows || !_pivotSet)
            return InputScaling.Identity(_stepSize);
        if (!_rangeStarted)
            StartRange();
        double widest = Enumerable.Range(0, _groups).Max(g => _highest[g] - _lowest[g]);
        var offsets = new float[_stepSize];
        var factors = new float[_stepSize];
        for (int j = 0; j < _stepSize; j++)
        {
            int g = _groups == 1 ? 0 : j;
            offsets[j] = (float)_lowest[g];
            // Every position constant: shifting alone is all there is to do.
            double range = Math.Max(_highest[g] - _lowest[g], RangeFloorShare * widest);
            factors[j] = range > 0 && double.IsFinite(1 / range) ? (float)(1 / range) : 1f;
        }
        return InputScaling.Create(_kind, offsets, factors);
    }

    private void StartRange()
    {
        _rangeStarted = true;
        for (int g = 0; g < _groups; g++)
        {
            double m = _sum[g] / _count[g];
            double spread = Math.Sqrt(Math.Max(0, _squares[g] / _count[g] - m * m));
            _low[g] = _pivot[g] + m - OutlierSpreads * spread;
            _high[g] = _pivot[g] + m + OutlierSpreads * spread;
            _lowest[g] = double.PositiveInfinity;
            _highest[g] = double.NegativeInfinity;
        }
    }
}
