"""Finance: the cost assumptions of the policy file and the ROI export."""
